"""``python -m console``: the staff console on ``CONSOLE_HTTP_HOST``:``CONSOLE_HTTP_PORT``.

python -m console                                  # serve
python -m console migrate                          # its tables (as the schema owner)
python -m console revoke-links --volunteer <id>    # that person's links stop working
"""

import argparse
import asyncio
import uuid

import uvicorn

from console.app import MIGRATIONS_DIR, build_app
from console.settings import ConsoleSettings
from console.store import ConsoleStore
from shared.audit import audit
from shared.logging import configure_logging
from shared.migrations import upgrade_to_head


async def revoke_links(settings: ConsoleSettings, volunteer_id: str) -> None:
    store = ConsoleStore(settings.database_url, settings.session_secret or "")
    await store.connect()
    try:
        revoked_at = await store.revoke_links(volunteer_id)
    finally:
        await store.close()
    audit("volunteer-links-revoked", outcome="ok", subject=None, volunteer_id=volunteer_id)
    print(f"links of volunteer {volunteer_id} issued before {revoked_at.isoformat()} revoked")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m console")
    parser.add_argument(
        "command", nargs="?", default="serve", choices=["serve", "migrate", "revoke-links"]
    )
    parser.add_argument("--volunteer", type=uuid.UUID, help="revoke-links: the volunteer's id")
    args = parser.parse_args()
    settings = ConsoleSettings()
    settings.refuse_insecure()
    configure_logging("console", settings.log_level, json=settings.log_json)
    if args.command == "migrate":
        upgrade_to_head(settings.migrations_url, MIGRATIONS_DIR)
        return 0
    if args.command == "revoke-links":
        if args.volunteer is None:
            parser.error("revoke-links needs --volunteer <id>")
        asyncio.run(revoke_links(settings, str(args.volunteer)))
        return 0
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
