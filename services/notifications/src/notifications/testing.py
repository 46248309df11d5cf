"""Local stand-ins for the providers, for tests and benchmarks: an SMTP server (aiosmtpd on
loopback) that keeps what it receives, and an SMS provider's HTTP API that can also fail."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import ssl
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from notifications.domain.rules import reminder_due
from notifications.tables import SCHEMA, metadata
from shared.testing.platform import TestPlatform, cloud_event
from shared.topology import exchange_for

if TYPE_CHECKING:
    from notifications.app import NotificationsService


@dataclass
class ReceivedMail:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def body(self) -> str:
        content = self.message.get_content()
        assert isinstance(content, str)
        return content


@dataclass
class _MailHandler:
    received: list[ReceivedMail] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)
    on_data: Callable[[ReceivedMail], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # A slow relay: seconds before answering each message (after it has it).
    answer_delay_s: float = 0.0
    # A relay that stalls once: seconds it says nothing at the next recipient.
    stall_once_s: float = 0.0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        stall, self.stall_once_s = self.stall_once_s, 0.0
        if stall:
            await asyncio.sleep(stall)
        if address in self.rejected:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        mail = ReceivedMail(to=list(envelope.rcpt_tos), message=_parse(raw))
        with self.lock:
            self.received.append(mail)
        if self.on_data is not None:
            self.on_data(mail)
        if self.answer_delay_s:
            await asyncio.sleep(self.answer_delay_s)
        return "250 OK: queued"


class MailCatcher:
    """An SMTP server on 127.0.0.1 that can be stopped and started again on its port."""

    def __init__(self, port: int, tls: ssl.SSLContext | None = None) -> None:
        self.port = port
        self._tls = tls  # a server context: TLS from the first byte, as on port 465
        self._handler = _MailHandler()
        self._controller: Controller | None = None

    def start(self) -> MailCatcher:
        self._controller = Controller(
            self._handler, hostname="127.0.0.1", port=self.port, ssl_context=self._tls
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def slow(self, answer_delay_s: float, *, stall_once_s: float = 0.0) -> None:
        self._handler.answer_delay_s = answer_delay_s
        self._handler.stall_once_s = stall_once_s

    def reject(self, address: str) -> None:
        self._handler.rejected.add(address)

    def on_data(self, callback: Callable[[ReceivedMail], None] | None) -> None:
        self._handler.on_data = callback

    @property
    def received(self) -> list[ReceivedMail]:
        with self._handler.lock:
            return list(self._handler.received)

    def to(self, address: str) -> list[ReceivedMail]:
        return [mail for mail in self.received if address in mail.to]


class SmsProvider:
    """An SMS provider's HTTP API on 127.0.0.1: ``mode`` "ok" (202), "down" (503) or
    "reject" (400, a refused number)."""

    def __init__(self, port: int, api_key: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/v1/sms"
        self.mode = "ok"
        self.received: list[dict[str, Any]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.headers.get("authorization") != f"Bearer {api_key}":
                    self._answer(401, {"error": "bad key"})
                elif provider.mode == "down":
                    self._answer(503, {"error": "try later"})
                elif provider.mode == "reject":
                    self._answer(400, {"error": "invalid number"})
                else:
                    provider.received.append(body)
                    self._answer(202, {"id": f"sms-{len(provider.received)}"})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> SmsProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def integration_event(
    service: str,
    fact: str,
    data: Mapping[str, Any],
    *,
    id: str | None = None,
    time: datetime | None = None,
) -> dict[str, Any]:
    """An event as another service of the platform publishes it on ``volunteering.events``."""
    return cloud_event(
        f"pl.waw.volunteering.{service}.{fact}",
        data,
        id=id,
        source=f"/volunteering/{service}",
        time=time,
    )


async def publish(platform: TestPlatform, event: Mapping[str, Any]) -> None:
    """Publish on the exchange the event's type travels on (contact data: volunteering.contacts)."""
    event_type = str(event["type"])
    await platform.publish(
        event,
        routing_key=event_type,
        exchange=exchange_for(event_type),
        message_id=str(event["id"]),
    )


async def seed_shift_reminders(
    service: NotificationsService, count: int, *, starts_at: datetime, domain: str = "bench.test"
) -> None:
    """``count`` volunteers (email consent), one confirmed shift each starting at
    ``starts_at`` and its date's pending reminder: what a benchmark needs to drive the sender."""
    now = service.clock.now()
    task_id, branch_id = uuid.uuid4(), uuid.uuid4()
    volunteers = [uuid.uuid4() for _ in range(count)]
    assignments = [uuid.uuid4() for _ in range(count)]
    occurrences = [uuid.uuid4() for _ in range(count)]
    hours = service.notifications_settings.reminder_hours_before
    async with service.unit_of_work() as uow:
        connection = await uow.session.connection()
        await connection.execute(
            _table("tasks").insert(),
            [{"task_id": task_id, "branch_id": branch_id, "branch_code": "bench-1",
              "title": "Dyżur w czytelni", "type": "daily_work", "starts_at": starts_at,
              "ends_at": None, "places": count, "cancelled": False, "changed_at": now}],
        )  # fmt: skip
        for start in range(0, count, 1000):
            chunk = range(start, min(start + 1000, count))
            await connection.execute(
                _table("volunteer_contacts").insert(),
                [{"volunteer_id": volunteers[i], "first_name": f"V{i}",
                  "email": f"v{i}@{domain}", "phone": None, "consent_email": True,
                  "consent_sms": False, "language": "pl", "guardian": None, "changed_at": now}
                 for i in chunk],
            )  # fmt: skip
            await connection.execute(
                _table("assignments").insert(),
                [{"assignment_id": assignments[i], "task_id": task_id,
                  "volunteer_id": volunteers[i], "branch_id": branch_id,
                  "branch_code": "bench-1", "starts_at": starts_at, "ends_at": None,
                  "status": "confirmed", "changed_at": now} for i in chunk],
            )  # fmt: skip
            await connection.execute(
                _table("reminders").insert(),
                [{"key": f"shift_reminder:{occurrences[i]}", "kind": "shift_reminder",
                  "due_at": reminder_due(starts_at, hours), "status": "pending",
                  "volunteer_id": volunteers[i], "subject_id": occurrences[i],
                  "payload": {"occurrence_id": str(occurrences[i]),
                              "assignment_id": str(assignments[i]), "task_id": str(task_id),
                              "branch_code": "bench-1",
                              "occurrence_date": starts_at.date().isoformat(),
                              "starts_at": starts_at.isoformat(), "ends_at": None}}
                 for i in chunk],
            )  # fmt: skip


def _table(name: str) -> sa.Table:
    return metadata.tables[f"{SCHEMA}.{name}"]
