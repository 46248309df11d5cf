"""Broker policies: what queue and exchange arguments cannot change once declared.

python -m shared.brokerpolicy print
python -m shared.brokerpolicy apply [--management-url URL] [--vhost NAME]

- ``volunteering-parked``: the dead-letter and unrouted queues keep a message at most
  ``retention_days`` (14) and ``max_messages`` (100,000) messages; past that the broker
  refuses new ones (``reject-publish``: the publisher sees a nack and keeps its message)
  rather than dropping the oldest.
- ``volunteering-services``: each service's quorum queue dead-letters ``at-least-once``
  (a message stays in the queue until its dead-letter queue has it), which needs
  ``reject-publish``.
- ``volunteering-events-unrouted``, ``volunteering-contacts-unrouted``: the alternate
  exchange of ``volunteering.events`` and ``volunteering.contacts``.

Queues and exchanges keep the arguments they were declared with (a declaration with other
arguments fails with PRECONDITION_FAILED); a policy changes them in place. The same
policies are in deploy/rabbitmq/definitions.json, and a service whose settings name the
management API applies them when it declares its topology.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from shared.settings import LOCAL_AMQP_URL
from shared.topology import (
    CONTACTS_EXCHANGE,
    EVENTS_EXCHANGE,
    SERVICES,
    UNROUTED,
    UNROUTED_QUEUES,
    ServiceTopology,
)

DAY_MS = 24 * 3600 * 1000
DEFAULT_RETENTION_DAYS = 14.0
DEFAULT_MAX_MESSAGES = 100_000
LOCAL_MANAGEMENT_URL = "http://guest:guest@127.0.0.1:15672"


@dataclass(frozen=True)
class ParkedLimits:
    """How long and how many messages the dead-letter and unrouted queues keep."""

    retention_days: float = DEFAULT_RETENTION_DAYS
    max_messages: int = DEFAULT_MAX_MESSAGES


def _names(names: Sequence[str]) -> str:
    """An anchored pattern matching exactly ``names``."""
    return "^(" + "|".join(re.escape(name) for name in names) + ")$"


def policies(limits: ParkedLimits | None = None) -> dict[str, dict[str, Any]]:
    """Each policy by name, as the management API and definitions.json take it."""
    limits = limits or ParkedLimits()
    parked = [ServiceTopology(service).dead_letter_queue for service in SERVICES]
    return {
        "volunteering-parked": {
            "pattern": _names([*parked, *UNROUTED_QUEUES]),
            "apply-to": "queues",
            "priority": 10,
            "definition": {
                "message-ttl": int(limits.retention_days * DAY_MS),
                "max-length": limits.max_messages,
                "overflow": "reject-publish",
            },
        },
        "volunteering-services": {
            "pattern": _names([ServiceTopology(service).queue for service in SERVICES]),
            "apply-to": "queues",
            "priority": 10,
            "definition": {
                "dead-letter-strategy": "at-least-once",
                "overflow": "reject-publish",
            },
        },
        **{
            f"{exchange.replace('.', '-')}-unrouted": {
                "pattern": _names([exchange]),
                "apply-to": "exchanges",
                "priority": 10,
                "definition": {"alternate-exchange": UNROUTED[exchange]},
            }
            for exchange in (EVENTS_EXCHANGE, CONTACTS_EXCHANGE)
        },
    }


def vhost_of(amqp_url: str) -> str:
    """The virtual host an AMQP URL names (``/`` when it names none)."""
    path = urlsplit(amqp_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def api_url(management_url: str, path: str) -> tuple[str, tuple[str, str]]:
    """The API address for ``path`` and the credentials of the management URL."""
    parts = urlsplit(management_url)
    auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
    netloc = parts.hostname or "127.0.0.1"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    base = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, netloc, f"{base}/api/{path}", "", "")), auth


async def apply(
    management_url: str, vhost: str, limits: ParkedLimits | None = None, timeout_s: float = 10.0
) -> list[str]:
    """Set every policy on ``vhost``; setting one again with the same definition is a no-op."""
    applied: list[str] = []
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        for name, policy in policies(limits).items():
            url, auth = api_url(
                management_url, f"policies/{quote(vhost, safe='')}/{quote(name, safe='')}"
            )
            response = await client.put(url, json=policy, auth=auth)
            response.raise_for_status()
            applied.append(name)
    return applied


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.brokerpolicy", description="Print or apply the broker policies."
    )
    parser.add_argument("command", choices=["print", "apply"])
    parser.add_argument(
        "--management-url", default=os.environ.get("RABBITMQ_MANAGEMENT_URL", LOCAL_MANAGEMENT_URL)
    )
    parser.add_argument(
        "--vhost", default=None, help="the virtual host (default: the one AMQP_URL names)"
    )
    parser.add_argument("--retention-days", type=float, default=DEFAULT_RETENTION_DAYS)
    parser.add_argument("--max-messages", type=int, default=DEFAULT_MAX_MESSAGES)
    args = parser.parse_args(argv)
    limits = ParkedLimits(retention_days=args.retention_days, max_messages=args.max_messages)
    if args.command == "print":
        print(json.dumps(policies(limits), indent=2, sort_keys=True))
        return 0
    vhost = args.vhost or vhost_of(os.environ.get("AMQP_URL", LOCAL_AMQP_URL))
    for name in asyncio.run(apply(args.management_url, vhost, limits)):
        print(f"policy {name} set on vhost {vhost}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
