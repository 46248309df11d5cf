"""Two notification replicas against a slow mail relay never send one message twice.

The relay answers each message after 2 s and stalls once for longer than the lease; the
lease is shorter than a batch takes at that speed, so without claim tokens the second
replica would take over messages the first still meant to send.

A relay that takes a message and then answers later than the sender waits cannot be told
apart from one that lost it, so that message goes again (at least once, same Message-ID).
The send budget (the lease less its margin) is kept well above the relay's answer time here,
so what is measured is the claim tokens, not a loaded machine's timing."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from notifications.testing import MailCatcher
from shared.testing.platform import TestPlatform, eventually, free_port

MESSAGES = 10
ANSWER_S = 2.0
# A batch of 10 at 2 s a message over 2 connections takes 10 s (20 s with the stall), while
# one send may take 6.4 s (the lease less its margin): three times the relay's answer time.
LEASE_S = 8


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher(free_port()).start()
    yield catcher
    catcher.stop()


async def test_two_senders_and_a_slow_relay_deliver_each_message_once(
    platform: TestPlatform, smtp: MailCatcher
) -> None:
    first = await platform.process("notifications", sender_enabled="false")
    first.kill()  # the schema is migrated; the queued messages are written directly
    for i in range(MESSAGES):
        await platform.fetch(
            "INSERT INTO notifications.messages (id, idempotency_key, channel, template,"
            " language, recipient_ref, address, subject, body, status, attempts, created_at)"
            " VALUES ($1, $2, 'email', 'certificate_issued', 'pl', $3, $4, 'Zaświadczenie',"
            " 'Treść', 'queued', 0, now())",
            uuid.uuid4(),
            f"replicas:{i}",
            f"staff:{uuid.uuid4()}",
            f"p{i}@example.org",
        )
    smtp.slow(ANSWER_S, stall_once_s=LEASE_S + 2)
    settings = {
        "smtp_port": smtp.port,
        "smtp_connections": 2,
        "sender_lease_s": LEASE_S,
        "sender_poll_interval_s": 0.2,
        "sender_concurrency": 1,
        "retry_first_delay_s": 0.5,
    }
    await platform.process("notifications", **settings)
    await platform.process("notifications", **settings)

    async def all_sent() -> bool:
        sent = await platform.fetchval(
            "SELECT count(*) FROM notifications.messages WHERE status = 'sent'"
        )
        return bool(sent == MESSAGES)

    await eventually(all_sent, timeout=90, message="not every message was sent")
    received = Counter(mail.to[0] for mail in smtp.received)
    assert received == {f"p{i}@example.org": 1 for i in range(MESSAGES)}
