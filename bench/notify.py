"""``make bench-notify``: reminder emails over TLS, against a bare aiosmtplib loop, and duplicates.

    python -m bench.notify [--messages 10000] [--tls starttls|implicit]

Sets up its own database and vhost (as the tests do), stores ``--messages`` confirmed shifts
with a pending reminder each, moves the service's clock past the reminders' time and lets
the sender deliver them all. The SMTP server is a process of its own (``bench.smtp_server``)
that speaks TLS as a city's relay does (STARTTLS by default), with a certificate made for
the run and verified by the clients (``smtp_ca_file``).

In the same run, the anchor: a bare aiosmtplib loop sends as many messages of the same shape
to the same server over as many connections as the service uses (``smtp_connections``),
each connection sending its share one message after another.

The server counts Message-IDs per recipient domain: ``sent`` = distinct Message-IDs the
service's messages reached it with, ``duplicates`` = messages beyond one per Message-ID.
The last printed line is one JSON object: ``sent``, ``per_s``, ``bare_per_s``, ``ratio``,
``duplicates``; the figures also go to ``bench/results/notify-*.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate
from pathlib import Path
from typing import Any

import aiosmtplib

from bench.smtp_server import READY, make_certificates
from notifications.app import build_service
from notifications.clock import ManualClock
from notifications.settings import NotificationsSettings
from notifications.testing import seed_shift_reminders
from shared.testing.databases import Databases
from shared.testing.infrastructure import VirtualHosts, discover
from shared.testing.platform import TestPlatform, environment_overrides, free_port

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
SERVICE_DOMAIN = "bench.test"
BARE_DOMAIN = "bare.test"
TARGET_RATIO = 0.5


class SmtpServer:
    """``bench.smtp_server`` as a child process."""

    def __init__(self, port: int, cert: Path, key: Path, tls: str) -> None:
        self.port = port
        self._command = [
            sys.executable,
            "-m",
            "bench.smtp_server",
            f"--port={port}",
            f"--cert={cert}",
            f"--key={key}",
            f"--tls={tls}",
        ]
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self._process = subprocess.Popen(self._command, cwd=ROOT, stdout=subprocess.PIPE)  # noqa: ASYNC220
        assert self._process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self._process.stdout.readline), 30)
        if line.strip() != READY.encode():
            raise RuntimeError(f"the SMTP server did not start (exit {self._process.poll()})")

    def stop(self) -> dict[str, Any]:
        """Stops the server and returns what it counted."""
        if self._process is None or self._process.poll() is not None:
            return {}
        self._process.terminate()
        output, _ = self._process.communicate(timeout=30)
        lines = output.decode().strip().splitlines()
        return dict(json.loads(lines[-1])) if lines else {}


def _message(index: int, settings: NotificationsSettings) -> MIMEText:
    """A message of the service's shape (see notifications.channels): compat32 classes."""
    message = MIMEText(
        "Dzień dobry,\n\nprzypominamy o jutrzejszym dyżurze w czytelni, godz. 10:00.\n"
        "Do zobaczenia!\n",
        "plain",
        "utf-8",
    )
    message["From"] = settings.mail_from
    message["To"] = f"v{index}@{BARE_DOMAIN}"
    message["Subject"] = Header("Przypomnienie: dyżur w czytelni", "utf-8")  # type: ignore[assignment]
    message["Message-ID"] = f"<{uuid.uuid4()}@{settings.message_id_domain}>"
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Auto-Submitted"] = "auto-generated"
    return message


async def bare_loop(messages: int, settings: NotificationsSettings) -> float:
    """Seconds to send ``messages`` over ``smtp_connections`` plain aiosmtplib connections."""
    connections = settings.smtp_connections

    async def worker(share: range) -> None:
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_s,
            start_tls=settings.smtp_start_tls,
            use_tls=settings.smtp_tls,
            cert_bundle=settings.smtp_ca_file,
        )
        await client.connect()
        try:
            for index in share:
                await client.send_message(_message(index, settings))
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException):
                await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(worker(range(n, messages, connections)) for n in range(connections)))
    return time.perf_counter() - started


async def measure(messages: int, tls: str) -> dict[str, Any]:
    infrastructure = await discover()
    databases = Databases(infrastructure)
    await databases.prepare_template()
    vhosts = VirtualHosts(infrastructure)
    database = await databases.create()
    vhost, amqp_url = await vhosts.create()
    certificates = tempfile.TemporaryDirectory(prefix="bench-notify-")
    ca, cert, key = make_certificates(Path(certificates.name))
    server = SmtpServer(free_port(), cert, key, tls)
    counted: dict[str, Any] = {}
    try:
        await server.start()
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
            "notifications",
            sender_enabled="false",
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_start_tls=str(tls == "starttls").lower(),
            smtp_tls=str(tls == "implicit").lower(),
            smtp_ca_file=str(ca),
            log_level="WARNING",
        )
        with environment_overrides(env):
            settings = NotificationsSettings()
            service = build_service(settings, clock)
        bare_s = await bare_loop(messages, settings)
        await service.start()
        try:
            starts_at = now + timedelta(hours=48)
            await seed_shift_reminders(
                service, messages, starts_at=starts_at, domain=SERVICE_DOMAIN
            )
            hours = service.notifications_settings.reminder_hours_before
            clock.set(starts_at - timedelta(hours=hours) + timedelta(minutes=1))
            started = time.perf_counter()
            await service.sender.drain()
            elapsed = time.perf_counter() - started
        finally:
            await service.stop()
    finally:
        counted = server.stop()
        certificates.cleanup()
        await vhosts.delete(vhost)
        await databases.drop(database)
        await databases.drop_template()
        infrastructure.close()
    ours = counted.get(SERVICE_DOMAIN, {})
    bare = counted.get(BARE_DOMAIN, {})
    sent = int(ours.get("distinct_message_ids", 0))
    per_s = sent / elapsed
    bare_per_s = int(bare.get("distinct_message_ids", 0)) / bare_s
    return {
        "sent": sent,
        "per_s": round(per_s, 1),
        "bare_per_s": round(bare_per_s, 1),
        "ratio": round(per_s / bare_per_s, 3) if bare_per_s else 0.0,
        "target_ratio": TARGET_RATIO,
        "duplicates": int(ours.get("duplicates", 0)),
        "received": int(ours.get("received", 0)),
        "bare_received": int(bare.get("received", 0)),
        "bare_duplicates": int(bare.get("duplicates", 0)),
        "expected": messages,
        "seconds": round(elapsed, 2),
        "bare_seconds": round(bare_s, 2),
        "smtp_connections": settings.smtp_connections,
        "sender_concurrency": service.notifications_settings.sender_concurrency,
        "tls": tls,
        # The bare loop opens one connection per worker; the rest are the service's.
        "service_smtp_connections_opened": int(counted.get("connections", 0))
        - settings.smtp_connections,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notify")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--tls", choices=("starttls", "implicit"), default="starttls")
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()
    load_at_start = [round(load, 2) for load in os.getloadavg()]
    figures = asyncio.run(measure(options.messages, options.tls))
    load_at_end = [round(load, 2) for load in os.getloadavg()]
    verdict = "met" if figures["ratio"] >= TARGET_RATIO else "NOT met"
    print(
        f"SMTP over TLS ({figures['tls']}), {figures['smtp_connections']} connections, "
        f"server in its own process; load average {load_at_start} -> {load_at_end}\n"
        f"  reminder emails (the service): {figures['sent']:,} of {figures['expected']:,} in "
        f"{figures['seconds']} s = {figures['per_s']} per second\n"
        f"  bare aiosmtplib loop:          {figures['bare_received']:,} in "
        f"{figures['bare_seconds']} s = {figures['bare_per_s']} per second\n"
        f"  connections the service opened: {figures['service_smtp_connections_opened']}\n"
        f"  ratio {figures['ratio']} (target >= {TARGET_RATIO}: {verdict}); duplicates "
        f"{figures['duplicates']} (must be 0; Message-IDs counted by the server)"
    )
    if not options.no_write:
        RESULTS.mkdir(exist_ok=True)
        record = {
            **figures,
            "measured_at": datetime.now(UTC).isoformat(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_at_start": load_at_start,
                "load_average_at_end": load_at_end,
                "git_commit": _git_commit(),
            },
        }
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for name in (f"notify-{stamp}.json", "notify-latest.json"):
            (RESULTS / name).write_text(json.dumps(record, indent=2) + "\n")
    last = {key: figures[key] for key in ("sent", "per_s", "bare_per_s", "ratio", "duplicates")}
    print(json.dumps(last))
    return 0


def _git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    return None


if __name__ == "__main__":
    raise SystemExit(main())
