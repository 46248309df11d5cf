"""The delivery channels' adapters: email over SMTP and SMS through a provider's HTTP API.

Each ``send`` returns the provider's answer or raises ``DeliveryFailed``, which says whether
trying again can help (a server briefly away) or not (a rejected address).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate

import aiosmtplib
import httpx

from notifications.settings import NotificationsSettings


class DeliveryFailed(Exception):
    def __init__(self, answer: str, *, permanent: bool) -> None:
        super().__init__(answer)
        self.answer = answer
        self.permanent = permanent


class NotHeld(Exception):
    """The message is no longer the sender's to send (another replica holds it, or it was
    cancelled): nothing was sent."""


Hold = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    message_id: str


class EmailSender:
    """SMTP with a few reused connections (a benchmark sends thousands of messages)."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(settings.smtp_connections)

    async def send(
        self, email: Email, *, hold: Hold | None = None, within_s: float | None = None
    ) -> str:
        """Send one message. ``hold`` runs once a connection is free, right before the
        message goes (the sender's check that the message is still its own: ``NotHeld``
        when not); ``within_s`` bounds connecting and sending together, so a relay that
        stalls cannot outlast the sender's lease."""
        # The compat32 classes: the modern EmailMessage parses every header it is given,
        # which costs more than the rest of sending put together.
        message = MIMEText(email.body, "plain", "utf-8")
        message["From"] = self._settings.mail_from
        message["To"] = email.to
        message["Subject"] = Header(email.subject, "utf-8")  # type: ignore[assignment]
        message["Message-ID"] = email.message_id
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Auto-Submitted"] = "auto-generated"
        async with self._slots:
            if hold is not None and not await hold():
                raise NotHeld()
            # A server that accepts the connection and then says nothing must not hold the
            # sender: past the deadline it counts as unavailable (and is tried again).
            loop = asyncio.get_running_loop()
            phase_s = self._settings.smtp_timeout_s * 2
            end = loop.time() + (within_s if within_s is not None else 2 * phase_s)
            try:
                async with asyncio.timeout_at(min(loop.time() + phase_s, end)):
                    client = await self._client()
            except TimeoutError:
                raise DeliveryFailed(
                    "SMTP unavailable: no greeting in time", permanent=False
                ) from None
            try:
                async with asyncio.timeout_at(min(loop.time() + phase_s, end)):
                    errors, response = await client.send_message(message)
            except aiosmtplib.SMTPRecipientsRefused as refused:
                self._idle.append(client)
                codes = [recipient.code for recipient in refused.recipients]
                answer = "; ".join(f"{r.code} {r.message}" for r in refused.recipients)
                raise DeliveryFailed(answer, permanent=all(500 <= c < 600 for c in codes)) from None
            except aiosmtplib.SMTPResponseException as error:
                await _close(client)
                raise DeliveryFailed(
                    f"{error.code} {error.message}", permanent=500 <= error.code < 600
                ) from None
            except (aiosmtplib.SMTPException, OSError) as error:
                await _close(client)
                raise DeliveryFailed(f"SMTP unavailable: {error!r}", permanent=False) from None
            except TimeoutError:
                await _close(client)
                raise DeliveryFailed("SMTP: no answer in time", permanent=False) from None
            self._idle.append(client)
            if errors:
                answer = "; ".join(f"{code} {text}" for code, text in errors.values())
                raise DeliveryFailed(answer, permanent=True)
            return response

    async def _client(self) -> aiosmtplib.SMTP:
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_s,
            start_tls=settings.smtp_start_tls,
            use_tls=settings.smtp_tls,
            cert_bundle=settings.smtp_ca_file,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"SMTP unavailable: {error!r}", permanent=False) from None
        return client

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            await _close(client)


async def _close(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        if client.is_connected:
            await asyncio.wait_for(client.quit(), 2)
    with contextlib.suppress(Exception):
        client.close()


class SmsSender:
    """POST {to, text, idempotency_key} as JSON with the key as a bearer token; 2xx is sent,
    4xx (but 408 and 429) is a permanent refusal, anything else is tried again later."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self._url = settings.sms_api_url
        self._client = httpx.AsyncClient(
            timeout=settings.sms_timeout_s,
            headers={"authorization": f"Bearer {settings.sms_api_key}"},
        )

    async def send(
        self,
        *,
        to: str,
        text: str,
        idempotency_key: str,
        hold: Hold | None = None,
        within_s: float | None = None,
    ) -> str:
        """``hold`` and ``within_s`` as for email (the provider also drops a repeated key)."""
        if hold is not None and not await hold():
            raise NotHeld()
        try:
            async with asyncio.timeout(within_s):
                response = await self._client.post(
                    self._url, json={"to": to, "text": text, "idempotency_key": idempotency_key}
                )
        except TimeoutError:
            raise DeliveryFailed("SMS provider: no answer in time", permanent=False) from None
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"SMS provider unavailable: {error!r}", permanent=False) from None
        answer = f"{response.status_code} {response.text[:500]}".strip()
        if response.is_success:
            return answer
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        raise DeliveryFailed(answer, permanent=permanent)

    async def close(self) -> None:
        await self._client.aclose()
