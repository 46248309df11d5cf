"""``make bench-notify``: reminder emails through a local SMTP server, and their duplicates.

    python -m bench.notify [--messages 10000]

Sets up its own database and vhost (as the tests do), stores ``--messages`` confirmed
shifts with a pending reminder each, moves the service's clock past the reminders' time
and lets the sender deliver them all to an SMTP server on loopback (aiosmtpd). It counts
what the server received: ``sent`` = distinct Message-IDs, ``duplicates`` = messages
received beyond one per Message-ID. The last printed line is one JSON object: ``sent``,
``per_s``, ``duplicates``; the figures also go to ``bench/results/notify-*.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from notifications.app import build_service
from notifications.clock import ManualClock
from notifications.settings import NotificationsSettings
from notifications.testing import MailCatcher, seed_shift_reminders
from shared.testing.databases import Databases
from shared.testing.infrastructure import VirtualHosts, discover
from shared.testing.platform import TestPlatform, environment_overrides, free_port

RESULTS = Path(__file__).resolve().parent / "results"


async def measure(messages: int) -> dict[str, Any]:
    infrastructure = await discover()
    databases = Databases(infrastructure)
    await databases.prepare_template()
    vhosts = VirtualHosts(infrastructure)
    database = await databases.create()
    vhost, amqp_url = await vhosts.create()
    catcher = MailCatcher(free_port()).start()
    try:
        test_platform = TestPlatform(
            admin_url=infrastructure.postgres_admin_url,
            database=database,
            amqp_url=amqp_url,
            vhost=vhost,
            restart_broker=None,
        )
        now = datetime.now(UTC).replace(microsecond=0)
        clock = ManualClock(now)
        env = test_platform.env(
            "notifications", sender_enabled="false", smtp_port=catcher.port, log_level="WARNING"
        )
        with environment_overrides(env):
            service = build_service(NotificationsSettings(), clock)
        await service.start()
        try:
            starts_at = now + timedelta(hours=48)
            await seed_shift_reminders(service, messages, starts_at=starts_at)
            hours = service.notifications_settings.reminder_hours_before
            clock.set(starts_at - timedelta(hours=hours) + timedelta(minutes=1))
            started = time.perf_counter()
            await service.sender.drain()
            elapsed = time.perf_counter() - started
        finally:
            await service.stop()
        received = catcher.received
    finally:
        catcher.stop()
        await vhosts.delete(vhost)
        await databases.drop(database)
        await databases.drop_template()
        infrastructure.close()
    per_id = Counter(mail.message_id for mail in received)
    return {
        "sent": len(per_id),
        "per_s": round(len(per_id) / elapsed, 1),
        "duplicates": sum(count - 1 for count in per_id.values()),
        "received": len(received),
        "expected": messages,
        "seconds": round(elapsed, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notify")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()
    figures = asyncio.run(measure(options.messages))
    print(
        f"reminder emails: {figures['sent']:,} of {figures['expected']:,} delivered in "
        f"{figures['seconds']} s = {figures['per_s']} per second; "
        f"duplicates {figures['duplicates']} (must be 0)"
    )
    if not options.no_write:
        RESULTS.mkdir(exist_ok=True)
        record = {
            **figures,
            "measured_at": datetime.now(UTC).isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        }
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for name in (f"notify-{stamp}.json", "notify-latest.json"):
            (RESULTS / name).write_text(json.dumps(record, indent=2) + "\n")
    last = {key: figures[key] for key in ("sent", "per_s", "duplicates")}
    print(json.dumps(last))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
