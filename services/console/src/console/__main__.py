"""``python -m console``: the staff console on ``CONSOLE_HTTP_HOST``:``CONSOLE_HTTP_PORT``."""

import uvicorn

from console.app import build_app
from console.settings import ConsoleSettings
from shared.logging import configure_logging


def main() -> int:
    settings = ConsoleSettings()
    configure_logging("console", settings.log_level, json=settings.log_json)
    uvicorn.run(
        build_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        # Behind the gateway: the client's address and scheme come from its headers.
        proxy_headers=True,
        timeout_graceful_shutdown=20,
    )
    return 0


raise SystemExit(main())
