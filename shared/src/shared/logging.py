"""structlog JSON logs that carry the service, the event id and the correlation id, and
the trace and span ids of the current span when tracing is on.

Per service, by environment variable (``<SERVICE>`` is the service's name in capitals):
``<SERVICE>_LOG_LEVEL`` (its settings), ``<SERVICE>_LOG_LEVELS`` for single loggers
(``sqlalchemy.engine=INFO,shared.consumer=DEBUG``) and ``<SERVICE>_LOG_INFO_SAMPLE_RATE``
(0 to 1: the share of INFO lines kept; warnings, errors and audit lines always are).
"""

from __future__ import annotations

import logging
import os
import random
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import trace


def configure_logging(
    service: str,
    level: str = "INFO",
    *,
    json: bool = True,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Route structlog and the standard library through one JSON renderer."""
    environ = os.environ if environ is None else environ
    prefix = f"{service.upper()}_"
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
        _add_trace_ids,
    ]
    sampling: list[Any] = []
    rate = _sample_rate(environ.get(f"{prefix}LOG_INFO_SAMPLE_RATE"))
    if rate < 1.0:
        sampling.append(_sample_info_lines(rate))
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            *shared_processors,
            *sampling,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Access logs and driver chatter are noise at INFO; they stay available at DEBUG.
    for noisy in ("uvicorn.access", "aiormq", "aio_pika", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The audit trail is kept whatever the service's level.
    logging.getLogger("audit").setLevel(logging.INFO)
    for name, logger_level in _logger_levels(environ.get(f"{prefix}LOG_LEVELS", "")).items():
        logging.getLogger(name).setLevel(logger_level)


def _logger_levels(spec: str) -> dict[str, str]:
    """``a.b=DEBUG,c=WARNING`` as {logger: level}; an unknown level is refused at start."""
    levels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, level = item.partition("=")
        level = level.strip().upper()
        if not name.strip() or level not in logging.getLevelNamesMapping():
            raise ValueError(f"log levels: {item!r} is not logger=LEVEL")
        levels[name.strip()] = level
    return levels


def _sample_rate(value: str | None) -> float:
    if value is None or not value.strip():
        return 1.0
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"the info sample rate must lie between 0 and 1, not {value}")
    return rate


def _sample_info_lines(rate: float) -> Any:
    def processor(_: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        if method == "info" and not event_dict.get("audit") and random.random() >= rate:
            raise structlog.DropEvent
        return event_dict

    return processor


def _add_trace_ids(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Next to the request and correlation ids: the line's place in its trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


def _add_service(service: str) -> Any:
    def processor(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return processor


@contextmanager
def event_context(**values: str | None) -> Iterator[None]:
    """Bind event_id / correlation_id (and the like) to every log line inside the block."""
    present = {key: value for key, value in values.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**present):
        yield


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
