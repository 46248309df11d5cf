"""``python -m <service> [serve|migrate]``: the same entry point for every service."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import uvicorn

from shared.logging import configure_logging
from shared.migrations import upgrade_to_head
from shared.service import Service


def run_cli(build_service: Callable[[], Service], argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    parser.add_argument("--migrate", action="store_true", help="apply migrations before serving")
    args = parser.parse_args(argv)
    service = build_service()
    settings = service.settings
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)
    if args.command == "migrate" or args.migrate:
        upgrade_to_head(settings.migrations_url, service.definition.migrations_dir)
        if args.command == "migrate":
            return 0
    uvicorn.run(
        service.http,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )
    return 0
