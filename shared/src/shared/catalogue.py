"""The event catalogue: an AsyncAPI document generated from the services' own code.

    python -m shared.catalogue > docs/asyncapi.json

Every consumed type comes from a service's handlers (with the data model it validates),
every published type from its ``IntegrationEvent`` classes; each message is documented as
the whole CloudEvents envelope around its data.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.specification import AsyncAPI
from pydantic import BaseModel, Field, create_model

from shared.bootstrap import SERVICES
from shared.service import ServiceDefinition
from shared.topology import Binding, exchange_for

TITLE = "Warsaw library volunteering: event catalogue"


def envelope(event_type: str, data_model: type[BaseModel], *, reader: str = "") -> type[BaseModel]:
    """The CloudEvent that carries ``data_model`` as its data, as it travels on the wire.

    A consumer may read fewer fields than the producer writes: its ``reader`` name keeps
    the two schemas apart in the catalogue.
    """
    name = reader + "".join(part.capitalize() for part in event_type.replace("_", ".").split("."))
    fields: dict[str, Any] = {
        "specversion": (Literal["1.0"], ...),
        "id": (str, Field(description="unique per source; AMQP message_id")),
        "source": (str, ...),
        "type": (Literal[event_type], ...),
        "time": (datetime, ...),
        "datacontenttype": (Literal["application/json"], "application/json"),
        "subject": (str | None, None),
        "correlationid": (str | None, None),
        "causationid": (str | None, None),
        "data": (data_model, ...),
    }
    model: type[BaseModel] = create_model(name, __doc__=data_model.__doc__, **fields)
    return model


def _topic_matches(pattern: str, routing_key: str) -> bool:
    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] in ("*", k[0])) and match(p[1:], k[1:])

    return match(pattern.split("."), routing_key.split("."))


def _exchange_for(event_type: str, bindings: Sequence[Binding]) -> str:
    for binding in bindings:
        if _topic_matches(binding.routing_key, event_type):
            return binding.exchange
    raise ValueError(f"{event_type} is handled but no binding routes it to the queue")


def _document(broker: RabbitBroker, definition: ServiceDefinition) -> None:
    service = definition.settings.service_name
    for event_type in definition.handlers.event_types:
        registered = definition.handlers.get(event_type)
        assert registered is not None
        exchange = _exchange_for(event_type, definition.bindings)

        async def handler(message: Any) -> None: ...

        reader = f"{service.capitalize()}Reads"
        # Each service's reader model gets its own name: same-named classes in two services
        # would otherwise overwrite each other's schema in the catalogue.
        data_model = create_model(
            f"{service.capitalize()}{registered.data_model.__name__}",
            __base__=registered.data_model,
        )
        handler.__annotations__ = {
            "message": envelope(event_type, data_model, reader=reader),
            "return": None,
        }
        broker.subscriber(
            RabbitQueue(
                service, queue_type=QueueType.QUORUM, routing_key=event_type, declare=False
            ),
            exchange=RabbitExchange(exchange, type=ExchangeType.TOPIC),
            title=f"{service}/{event_type}",
            description=registered.handle.__doc__,
        )(handler)
    for event_class in definition.published:
        event_type = event_class.event_type(service)
        broker.publisher(
            exchange=RabbitExchange(exchange_for(event_type), type=ExchangeType.TOPIC),
            routing_key=event_type,
            schema=envelope(event_type, event_class),
            title=f"{service}/{event_type}",
            description=event_class.__doc__,
        )


def generate() -> dict[str, Any]:
    broker = RabbitBroker("amqp://broker:5672/", description="RabbitMQ of the platform")
    for service in SERVICES:
        module = importlib.import_module(f"{service}.app")
        _document(broker, module.build_service().definition)
    specification = AsyncAPI(broker, title=TITLE, version="1", schema_version="3.0.0")
    document: dict[str, Any] = specification.to_specification().to_jsonable()
    return document


def render() -> str:
    return json.dumps(generate(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
