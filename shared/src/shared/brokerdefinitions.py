"""The broker's definitions (users, permissions, topology, policies), generated from the code.

    python -m shared.brokerdefinitions      # writes deploy/rabbitmq/definitions.json
    make docs                                # the same, with the other generated docs

Users and what each may do:

- ``portal``, ``calendar``: write to ``city.inbound`` only, and there only their own
  routing keys (topic permissions: ``pl.waw.portal.*``, ``pl.waw.calendar.*``);
- each service: its own queues; on ``volunteering.events`` (and, for matching, on
  ``volunteering.contacts``) only the routing keys of its own event types; no configure
  on any shared exchange (the definitions hold them; the services run with
  ``DECLARE_SHARED_TOPOLOGY=false``); only notifications may read ``volunteering.contacts``;
- ``operator``: everything (the management UI, replays through the default exchange).

A user's ``password_hash`` here is a placeholder, ``@<user>@``: the broker container
(deploy/rabbitmq/render-definitions.sh) puts in the hashes that scripts/compose-env.sh
made from generated passwords, so no password, nor its hash, is in the repository.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from shared.brokerpolicy import policies
from shared.topology import (
    CONTACT_EVENT_TYPES,
    CONTACTS_EXCHANGE,
    CONTACTS_READERS,
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    INBOUND_EXCHANGE,
    SERVICES,
    UNROUTED,
    UNROUTED_EXCHANGE,
    UNROUTED_QUEUES,
    Binding,
    ServiceTopology,
)

DEFINITIONS_FILE = Path(__file__).resolve().parents[3] / "deploy" / "rabbitmq" / "definitions.json"
RABBITMQ_VERSION = "4.0.9"
VHOST = "/"
OPERATOR = "operator"
# Each city system's user and the routing-key prefix it may publish on city.inbound.
CITY_SYSTEMS = {"portal": "pl.waw.portal.", "calendar": "pl.waw.calendar."}
NOTHING = "^$"


def password_placeholder(user: str) -> str:
    return f"@{user}@"


def _only(names: Iterable[str]) -> str:
    """A permission regex granting exactly ``names`` (RabbitMQ searches it unanchored)."""
    names = sorted(set(names))
    return "^(" + "|".join(re.escape(name) for name in names) + ")$" if names else NOTHING


def _prefixes(prefixes: Iterable[str]) -> str:
    prefixes = sorted(set(prefixes))
    return "^(" + "|".join(re.escape(prefix) for prefix in prefixes) + ")" if prefixes else NOTHING


def owns_contacts(service: str) -> bool:
    return any(t.startswith(f"pl.waw.volunteering.{service}.") for t in CONTACT_EVENT_TYPES)


@cache
def service_bindings() -> dict[str, tuple[Binding, ...]]:
    """Each service's bindings, from its own definition (as the event catalogue reads them)."""
    found: dict[str, tuple[Binding, ...]] = {}
    for service in SERVICES:
        module = importlib.import_module(f"{service}.app")
        found[service] = tuple(module.build_service().definition.bindings)
    return found


def service_permissions(service: str, bindings: Iterable[Binding]) -> dict[str, str]:
    """configure / write / read of a service's user: what ``declare_service_topology`` with
    ``shared=False``, its consumer and its relay need, following the broker's checks
    (declaring needs configure on the object; a binding write on its queue and read on its
    exchange; a queue with a dead-letter exchange read on itself and write on that
    exchange; publishing write, consuming read)."""
    topology = ServiceTopology(service)
    own = (topology.queue, topology.dead_letter_queue)
    publishes = [EVENTS_EXCHANGE, UNROUTED[EVENTS_EXCHANGE]]
    if owns_contacts(service):
        publishes += [CONTACTS_EXCHANGE, UNROUTED[CONTACTS_EXCHANGE]]
    reads = {binding.exchange for binding in bindings} | {DEAD_LETTER_EXCHANGE}
    if service not in CONTACTS_READERS:
        reads.discard(CONTACTS_EXCHANGE)
    return {
        "configure": _only(own),
        "write": _only([*own, *publishes, DEAD_LETTER_EXCHANGE]),
        "read": _only([*own, *reads]),
    }


def service_topic_permissions(service: str) -> list[dict[str, str]]:
    """On the platform's topic exchanges a service writes only its own types' routing keys."""
    own_types = f"pl.waw.volunteering.{service}."
    found = [{"exchange": EVENTS_EXCHANGE, "write": _prefixes([own_types]), "read": ".*"}]
    contacts = sorted(t for t in CONTACT_EVENT_TYPES if t.startswith(own_types))
    readable = ".*" if service in CONTACTS_READERS else NOTHING
    found.append(
        {"exchange": CONTACTS_EXCHANGE, "write": _only(contacts) if contacts else NOTHING}
        | {"read": readable}
    )
    return found


def _user(name: str, tags: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "password_hash": password_placeholder(name),
        "hashing_algorithm": "rabbit_password_hashing_sha256",
        "tags": tags,
        "limits": {},
    }


def users() -> list[dict[str, Any]]:
    return [
        _user(OPERATOR, ["administrator"]),
        *(_user(system, []) for system in CITY_SYSTEMS),
        *(_user(service, []) for service in SERVICES),
    ]


def permissions(vhost: str = VHOST, prefix: str = "") -> list[dict[str, Any]]:
    """Every user's permissions on ``vhost``; ``prefix`` before each user name (a test's
    users on a shared broker)."""
    found = [
        {"user": prefix + OPERATOR, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}
    ]
    for system in CITY_SYSTEMS:
        found.append(
            {
                "user": prefix + system,
                "vhost": vhost,
                "configure": NOTHING,
                "write": _only([INBOUND_EXCHANGE]),
                "read": NOTHING,
            }
        )
    bindings = service_bindings()
    for service in SERVICES:
        found.append(
            {"user": prefix + service, "vhost": vhost}
            | service_permissions(service, bindings[service])
        )
    return found


def topic_permissions(vhost: str = VHOST, prefix: str = "") -> list[dict[str, Any]]:
    found = [
        {
            "user": prefix + system,
            "vhost": vhost,
            "exchange": INBOUND_EXCHANGE,
            "write": _prefixes([keys]),
            "read": NOTHING,
        }
        for system, keys in CITY_SYSTEMS.items()
    ]
    for service in SERVICES:
        for permission in service_topic_permissions(service):
            found.append({"user": prefix + service, "vhost": vhost} | permission)
    return found


def _queue(name: str, arguments: dict[str, Any], vhost: str) -> dict[str, Any]:
    return {
        "name": name,
        "vhost": vhost,
        "durable": True,
        "auto_delete": False,
        "arguments": arguments,
    }


def _exchange(name: str, kind: str, arguments: dict[str, Any], vhost: str) -> dict[str, Any]:
    return {
        "name": name,
        "vhost": vhost,
        "type": kind,
        "durable": True,
        "auto_delete": False,
        "internal": False,
        "arguments": arguments,
    }


def _binding(source: str, destination: str, routing_key: str, vhost: str) -> dict[str, Any]:
    return {
        "source": source,
        "vhost": vhost,
        "destination": destination,
        "destination_type": "queue",
        "routing_key": routing_key,
        "arguments": {},
    }


def topology(vhost: str = VHOST) -> dict[str, list[dict[str, Any]]]:
    """Exchanges, queues, bindings and policies: what ``declare_service_topology`` declares
    (with the same arguments, so that a service declaring them again changes nothing)."""
    exchanges = [_exchange(kept, "fanout", {}, vhost) for kept in UNROUTED_QUEUES]
    exchanges += [
        _exchange(INBOUND_EXCHANGE, "topic", {"alternate-exchange": UNROUTED_EXCHANGE}, vhost),
        _exchange(EVENTS_EXCHANGE, "topic", {}, vhost),
        _exchange(CONTACTS_EXCHANGE, "topic", {}, vhost),
        _exchange(DEAD_LETTER_EXCHANGE, "direct", {}, vhost),
    ]
    queues = [_queue(kept, {"x-queue-type": "quorum"}, vhost) for kept in UNROUTED_QUEUES]
    bindings = [_binding(kept, kept, "", vhost) for kept in UNROUTED_QUEUES]
    for service, service_bindings_ in service_bindings().items():
        own = ServiceTopology(service)
        queues.append(_queue(own.queue, own.queue_arguments(), vhost))
        queues.append(_queue(own.dead_letter_queue, {"x-queue-type": "quorum"}, vhost))
        bindings.append(
            _binding(
                DEAD_LETTER_EXCHANGE, own.dead_letter_queue, own.dead_letter_routing_key, vhost
            )
        )
        bindings += [
            _binding(b.exchange, own.queue, b.routing_key, vhost) for b in service_bindings_
        ]
    return {
        "policies": [
            {"vhost": vhost, "name": name, **policy} for name, policy in sorted(policies().items())
        ],
        "queues": queues,
        "exchanges": exchanges,
        "bindings": bindings,
    }


def definitions() -> dict[str, Any]:
    return {
        "rabbitmq_version": RABBITMQ_VERSION,
        "users": users(),
        "vhosts": [{"name": VHOST}],
        "permissions": permissions(),
        "topic_permissions": topic_permissions(),
        "parameters": [],
        "global_parameters": [],
        **topology(),
    }


def render() -> str:
    return json.dumps(definitions(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    DEFINITIONS_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {DEFINITIONS_FILE}")


if __name__ == "__main__":
    main()
