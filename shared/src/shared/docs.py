"""The generated parts of the documentation, kept equal to the code by tests.

    python -m shared.docs          # rewrite every generated part in docs/

- ``docs/asyncapi.json``: the event catalogue (``shared.catalogue``);
- ``deploy/rabbitmq/definitions.json``: the broker's users, permissions, topology and
  policies (``shared.brokerdefinitions``), bindings included;
- ``docs/openapi/<service>.json``: each service's HTTP API as its application declares it;
- ``docs/architecture.md``: who publishes and who consumes each event, as a Mermaid
  diagram and a table, read from the catalogue;
- ``docs/contracts.md``: the fields of every inbound message and the data of every
  published event, read from the catalogue (so from the models the consumers validate with).

The hand-written text around a generated part stays as it is: a part sits between
``<!-- generated: NAME -->`` and ``<!-- end generated: NAME -->``.
"""

from __future__ import annotations

import importlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.bootstrap import SERVICES

DOCS = Path(__file__).resolve().parents[3] / "docs"
CATALOGUE = DOCS / "asyncapi.json"

# Where inbound types come from: the city's systems, by the prefix of the type.
EXTERNAL_PUBLISHERS = {"pl.waw.portal.": "portal", "pl.waw.calendar.": "calendar"}
EVENTS_PREFIX = "pl.waw.volunteering."


@dataclass(frozen=True)
class EventRoute:
    event_type: str
    producer: str
    consumers: tuple[str, ...]
    payload: str  # the schema name of the event's data in the catalogue


def _ref_name(reference: str) -> str:
    return reference.rsplit("/", 1)[-1]


def _producer_of(event_type: str) -> str | None:
    for prefix, system in EXTERNAL_PUBLISHERS.items():
        if event_type.startswith(prefix):
            return system
    if event_type.startswith(EVENTS_PREFIX):
        return event_type.removeprefix(EVENTS_PREFIX).split(".", 1)[0]
    return None


def event_routes(catalogue: Mapping[str, Any]) -> list[EventRoute]:
    """Every event type with its producer, its consumers and its data schema."""
    schemas = catalogue["components"]["schemas"]
    messages = catalogue["components"]["messages"]
    consumers: dict[str, set[str]] = defaultdict(set)
    payloads: dict[str, str] = {}
    for name, channel in catalogue["channels"].items():
        event_type = channel["address"]
        service = name.removesuffix("." + event_type)
        queue = channel.get("bindings", {}).get("amqp", {}).get("queue")
        for message in channel["messages"].values():
            if "$ref" in message and message["$ref"].startswith("#/components/messages/"):
                envelope = messages[_ref_name(message["$ref"])]["payload"]
            else:
                envelope = message["payload"]
            data = schemas[_ref_name(envelope["$ref"])]["properties"]["data"]
            data_schema = _ref_name(data["$ref"]) if "$ref" in data else ""
            if queue is not None:
                consumers[event_type].add(service)
                payloads.setdefault(event_type, data_schema)
            else:
                payloads[event_type] = data_schema  # the producer's schema is the contract
    routes = []
    for event_type in sorted(payloads):
        producer = _producer_of(event_type)
        if producer is None:
            raise ValueError(f"{event_type}: no known producer for this type")
        routes.append(
            EventRoute(
                event_type, producer, tuple(sorted(consumers[event_type])), payloads[event_type]
            )
        )
    return routes


def _short(event_type: str) -> str:
    """``pl.waw.volunteering.matching.task.published.v1`` → ``task.published``."""
    for prefix in (*EXTERNAL_PUBLISHERS, EVENTS_PREFIX):
        if event_type.startswith(prefix):
            rest = event_type.removeprefix(prefix)
            if prefix == EVENTS_PREFIX:
                rest = rest.split(".", 1)[1]
            return re.sub(r"\.v\d+$", "", rest)
    return event_type


def mermaid_flow(routes: Iterable[EventRoute]) -> str:
    """One arrow per producer and consumer, labelled with the events it carries."""
    carried: dict[tuple[str, str], list[str]] = defaultdict(list)
    nodes: set[str] = set()
    for route in routes:
        nodes.add(route.producer)
        for consumer in route.consumers:
            nodes.add(consumer)
            carried[(route.producer, consumer)].append(_short(route.event_type))
    lines = ["```mermaid", "flowchart LR"]
    external = set(EXTERNAL_PUBLISHERS.values())
    for node in sorted(nodes):
        shape = f"{node}[/{node}/]" if node in external else f"{node}([{node}])"
        lines.append(f"    {shape}")
    for (producer, consumer), events in sorted(carried.items()):
        label = "<br/>".join(sorted(events))
        lines.append(f'    {producer} -- "{label}" --> {consumer}')
    lines.append("```")
    return "\n".join(lines)


def routes_table(routes: Iterable[EventRoute]) -> str:
    rows = ["| event type | published by | consumed by |", "|---|---|---|"]
    for route in routes:
        consumers = ", ".join(route.consumers) or "— (for other city systems)"
        rows.append(f"| `{route.event_type}` | {route.producer} | {consumers} |")
    return "\n".join(rows)


def _type_of(schema: Mapping[str, Any]) -> str:
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "anyOf" in schema:
        kinds = [_type_of(option) for option in schema["anyOf"] if option.get("type") != "null"]
        return " or ".join(kinds)
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return kind


def _limits(schema: Mapping[str, Any]) -> list[str]:
    if "anyOf" in schema:
        return [limit for option in schema["anyOf"] for limit in _limits(option)]
    limits = []
    if "minLength" in schema and "maxLength" in schema:
        limits.append(f"{schema['minLength']}–{schema['maxLength']} characters")
    elif "maxLength" in schema:
        limits.append(f"at most {schema['maxLength']} characters")
    elif "minLength" in schema:
        limits.append(f"at least {schema['minLength']} character(s)")
    described = {
        "minimum": "≥ {}",
        "maximum": "≤ {}",
        "minItems": "at least {} item(s)",
        "maxItems": "at most {} items",
        "pattern": "matches `{}`",
    }
    limits += [text.format(schema[key]) for key, text in described.items() if key in schema]
    if "items" in schema:
        limits += [f"each {limit}" for limit in _limits(schema["items"])]
    return limits


def fields_table(schema_name: str, schemas: Mapping[str, Any]) -> str:
    """The fields of one schema and of the objects it nests, as Markdown tables."""
    tables: list[str] = []
    pending, seen = [schema_name], set()
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        schema = schemas[name]
        required = set(schema.get("required", []))
        rows = [f"`{name}`:", "", "| field | type | required | rules |", "|---|---|---|---|"]
        for field, field_schema in schema.get("properties", {}).items():
            rules = [field_schema["description"]] if "description" in field_schema else []
            rules += _limits(field_schema)
            rows.append(
                f"| `{field}` | {_type_of(field_schema)} | "
                f"{'yes' if field in required else 'no'} | {'; '.join(rules) or '—'} |"
            )
            pending += [_ref_name(ref) for ref in _nested_refs(field_schema)]
        tables.append("\n".join(rows))
    return "\n\n".join(tables)


def _nested_refs(schema: Mapping[str, Any]) -> list[str]:
    refs = [schema["$ref"]] if "$ref" in schema else []
    for option in schema.get("anyOf", []):
        refs += _nested_refs(option)
    if "items" in schema:
        refs += _nested_refs(schema["items"])
    return refs


def inbound_contracts(catalogue: Mapping[str, Any]) -> str:
    schemas = catalogue["components"]["schemas"]
    sections = []
    for route in event_routes(catalogue):
        if route.producer not in EXTERNAL_PUBLISHERS.values():
            continue
        sections.append(
            f"### `{route.event_type}`\n\nFrom the {route.producer}; read by "
            f"{', '.join(route.consumers)}.\n\n{fields_table(route.payload, schemas)}"
        )
    return "\n\n".join(sections)


def outbound_events(catalogue: Mapping[str, Any]) -> str:
    schemas = catalogue["components"]["schemas"]
    rows = ["| event type | data fields | consumed by |", "|---|---|---|"]
    for route in event_routes(catalogue):
        if route.producer in EXTERNAL_PUBLISHERS.values():
            continue
        fields = ", ".join(f"`{name}`" for name in schemas[route.payload].get("properties", {}))
        rows.append(f"| `{route.event_type}` | {fields} | {', '.join(route.consumers) or '—'} |")
    return "\n".join(rows)


def replace_generated(text: str, name: str, content: str) -> str:
    """``text`` with the generated part ``name`` replaced by ``content``."""
    begin, end = f"<!-- generated: {name} -->", f"<!-- end generated: {name} -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no generated part {name!r} in the document")
    return pattern.sub(lambda _: f"{begin}\n{content}\n{end}", text)


MARKDOWN_PARTS: dict[str, dict[str, Callable[[Mapping[str, Any]], str]]] = {
    "architecture.md": {
        "event-flow": lambda catalogue: mermaid_flow(event_routes(catalogue)),
        "event-table": lambda catalogue: routes_table(event_routes(catalogue)),
    },
    "contracts.md": {
        "inbound": inbound_contracts,
        "outbound": outbound_events,
    },
}


def render_markdown(document: str, text: str, catalogue: Mapping[str, Any]) -> str:
    for name, part in MARKDOWN_PARTS[document].items():
        text = replace_generated(text, name, part(catalogue))
    return text


def openapi_document(service: str) -> str:
    """The OpenAPI document of ``service`` as its application declares it."""
    module = importlib.import_module(f"{service}.app")
    application = module.build_service().http
    return json.dumps(application.openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    from shared import brokerdefinitions
    from shared.catalogue import render

    CATALOGUE.write_text(render())
    brokerdefinitions.DEFINITIONS_FILE.write_text(brokerdefinitions.render(), encoding="utf-8")
    catalogue = json.loads(CATALOGUE.read_text())
    (DOCS / "openapi").mkdir(exist_ok=True)
    for service in SERVICES:
        (DOCS / "openapi" / f"{service}.json").write_text(openapi_document(service))
    for document in MARKDOWN_PARTS:
        path = DOCS / document
        path.write_text(render_markdown(document, path.read_text(), catalogue))


if __name__ == "__main__":
    main()
