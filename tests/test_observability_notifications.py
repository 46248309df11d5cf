"""Notifications' own metrics (messages sent and failed per channel, how late reminders
fire) and traces (a coordinator's action is one trace down to the e-mail it leads to)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from notifications import preferences
from notifications.app import NotificationsService
from notifications.clock import FileClock
from notifications.testing import MailCatcher, integration_event, publish, seed_shift_reminders
from shared.observability import tracing
from shared.testing.platform import TestPlatform, eventually, free_port
from tests.test_matching_support import (
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher(free_port()).start()
    yield catcher
    catcher.stop()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@asynccontextmanager
async def notifications_at_now(
    platform: TestPlatform, smtp: MailCatcher, tmp_path: Path
) -> AsyncIterator[tuple[NotificationsService, FileClock]]:
    """Notifications on a clock of the test's own, at ``NOW``; the test drives its sender."""
    clock = FileClock(tmp_path / "now")
    clock.set(NOW)
    async with platform.running(
        "notifications", smtp_port=smtp.port, clock_file=tmp_path / "now", sender_enabled="false"
    ) as (service,):
        assert isinstance(service, NotificationsService)
        yield service, clock


async def test_sent_and_failed_messages_and_reminder_lag_are_counted(
    platform: TestPlatform, smtp: MailCatcher, tmp_path: Path
) -> None:
    sent_before = sample("notifications_messages_sent_total", channel="email")
    failed_before = sample(
        "notifications_delivery_failures_total", channel="email", outcome="failed"
    )
    lag_count_before = sample("notifications_reminder_lag_seconds_count")
    lag_sum_before = sample("notifications_reminder_lag_seconds_sum")
    late_before = sample("notifications_reminder_lag_seconds_bucket", le="30.0")
    smtp.reject("v0@metrics.test")  # a permanent refusal: failed at once, no retry
    async with notifications_at_now(platform, smtp, tmp_path) as (service, clock):
        await seed_shift_reminders(
            service, 3, starts_at=NOW + timedelta(days=2), domain="metrics.test"
        )
        due_at = (
            NOW
            + timedelta(days=2)
            - timedelta(hours=service.notifications_settings.reminder_hours_before)
        )
        clock.set(due_at + timedelta(minutes=2))  # the sender comes two minutes late
        await service.sender.drain()

    assert sample("notifications_messages_sent_total", channel="email") == sent_before + 2
    assert (
        sample("notifications_delivery_failures_total", channel="email", outcome="failed")
        == failed_before + 1
    )
    assert sample("notifications_reminder_lag_seconds_count") == lag_count_before + 3
    assert sample("notifications_reminder_lag_seconds_sum") - lag_sum_before == pytest.approx(360)
    # Two minutes late is past the 30 s bucket: none of the three lands there.
    assert sample("notifications_reminder_lag_seconds_bucket", le="30.0") == late_before


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure_tracing("tests", version="test", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown_tracing()


def hex_trace(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


async def test_a_coordinators_action_is_one_trace_down_to_the_email_sent(
    platform: TestPlatform, smtp: MailCatcher, spans: InMemorySpanExporter
) -> None:
    accepted_type = "pl.waw.volunteering.matching.application.accepted.v1"
    async with (
        platform.running("matching") as (matching,),
        platform.running("notifications", smtp_port=smtp.port, sender_poll_interval_s=0.1),
        client(matching) as http,
    ):
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "traced")
        await wait_enrolled(platform, "wola-12")

        async def contact_known() -> bool:
            return bool(
                await platform.fetchval(
                    "SELECT count(*) FROM notifications.volunteer_contacts WHERE volunteer_id = $1",
                    uuid.UUID(ids["traced"]),
                )
            )

        await eventually(contact_known, message="notifications did not learn the contact")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        volunteer = bearer(platform.token("volunteer", subject=ids["traced"]))
        task = (await http.post("/v1/tasks", json=one_off_task(), headers=coordinator)).json()
        application = (
            await http.post(f"/v1/tasks/{task['id']}/applications", headers=volunteer)
        ).json()
        accepted = await http.post(
            f"/v1/applications/{application['id']}/accept", headers=coordinator
        )
        assert accepted.status_code == 200, accepted.text

        def send_span() -> ReadableSpan | None:
            return next(
                (
                    span
                    for span in spans.get_finished_spans()
                    if span.name == "send email"
                    and (span.attributes or {}).get("notifications.template")
                    == "application_accepted"
                ),
                None,
            )

        async def sent() -> ReadableSpan | None:
            return send_span()

        found = await eventually(sent, timeout=60, message="the acceptance was not sent")
    assert found is not None
    send: ReadableSpan = found
    assert any(mail.subject.startswith("Zgłoszenie przyjęte") for mail in smtp.received)
    finished = spans.get_finished_spans()
    request = next(
        span
        for span in finished
        if span.kind == SpanKind.SERVER
        and str((span.attributes or {}).get("http.route", "")).endswith("/accept")
    )
    process = next(
        span
        for span in finished
        if span.name == f"process {accepted_type}" and hex_trace(span) == hex_trace(request)
    )
    # One trace: matching's request, notifications' consumer, the send; the send is the
    # child of the consumer span that queued the message.
    assert hex_trace(send) == hex_trace(process) == hex_trace(request)
    assert send.parent is not None and process.context is not None
    assert send.parent.span_id == process.context.span_id
    assert send.kind == SpanKind.PRODUCER
    # No address or text in the send's span.
    assert not any("@" in str(value) for value in (send.attributes or {}).values())
    stored = await platform.fetchval(
        "SELECT traceparent FROM notifications.messages"
        " WHERE template = 'application_accepted' AND channel = 'email'"
    )
    assert stored is not None and stored.split("-")[1] == hex_trace(request)


async def test_a_reminder_fired_days_later_continues_the_trace_of_the_event_that_planned_it(
    platform: TestPlatform, smtp: MailCatcher, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    """matching's shift.planned (published in a trace of its own) schedules the reminder; when
    the sender fires it two days later, the firing and the e-mail are in that same trace."""
    trace_id, parent_id = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    volunteer, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    starts_at = NOW + timedelta(days=2)
    async with notifications_at_now(platform, smtp, tmp_path) as (service, clock):

        async def send(fact: str, data: dict[str, Any], **extensions: str) -> None:
            await publish(platform, {**integration_event("matching", fact, data), **extensions})

        await send("volunteer.contact.changed.v1", {
            "volunteer_id": volunteer, "first_name": "Ola", "email": "ola@trace.test",
            "phone": None, "consents": {"email": True, "sms": False}, "language": "pl",
            "guardian": None})  # fmt: skip
        confirmed = {
            "assignment_id": str(uuid.uuid4()), "task_id": task_id, "volunteer_id": volunteer,
            "branch_id": str(uuid.uuid4()), "branch_code": "wola-12",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
        }  # fmt: skip
        await send("assignment.confirmed.v1", confirmed)
        occurrence = {
            **confirmed,
            "occurrence_id": str(uuid.uuid4()),
            "occurrence_date": starts_at.date().isoformat(),
        }
        await send(
            "shift.planned.v1",
            occurrence,
            traceparent=f"00-{trace_id}-{parent_id}-01",
            tracestate="city=portal",
        )
        key = f"shift_reminder:{occurrence['occurrence_id']}"

        async def scheduled() -> Any:
            return await platform.fetchval(
                "SELECT traceparent FROM notifications.reminders WHERE key = $1", key
            )

        stored = await eventually(scheduled, message="the shift's reminder was not scheduled")
        assert str(stored).split("-")[1] == trace_id
        assert (
            await platform.fetchval(
                "SELECT tracestate FROM notifications.reminders WHERE key = $1", key
            )
            == "city=portal"
        )

        hours = service.notifications_settings.reminder_hours_before
        clock.set(starts_at - timedelta(hours=hours) + timedelta(minutes=1))
        await service.sender.drain()

    assert any(mail.subject.startswith("Przypomnienie") for mail in smtp.to("ola@trace.test"))
    finished = spans.get_finished_spans()
    fire = next(span for span in finished if span.name == "fire reminder shift_reminder")
    send_mail = next(
        span
        for span in finished
        if span.name == "send email"
        and (span.attributes or {}).get("notifications.template") == "shift_reminder"
    )
    planned = next(
        span
        for span in finished
        if span.name == "process pl.waw.volunteering.matching.shift.planned.v1"
    )
    # One trace from matching's event to the e-mail: the consumer that scheduled the reminder,
    # the firing (its child, across the stored row) and the send (the firing's child).
    assert hex_trace(planned) == hex_trace(fire) == hex_trace(send_mail) == trace_id
    assert fire.parent is not None and planned.context is not None
    assert fire.parent.span_id == planned.context.span_id
    assert send_mail.parent is not None and fire.context is not None
    assert send_mail.parent.span_id == fire.context.span_id
    assert (fire.attributes or {}).get("notifications.reminder") == key


async def test_a_daily_digest_links_the_traces_of_the_messages_it_gathers(
    platform: TestPlatform, smtp: MailCatcher, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    """Two applications, each in a trace of its own, are held for a coordinator's digest: the
    digest, sent the next morning in a trace of its own, links both traces, and its e-mail
    is sent in the digest's trace."""
    coordinator, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    branch = {"branch_id": str(uuid.uuid4()), "branch_code": "wola-12"}
    traces = [uuid.uuid4().hex for _ in range(2)]
    async with notifications_at_now(platform, smtp, tmp_path) as (service, clock):
        await publish(platform, integration_event("registry", "coordinator.assigned.v1", {
            "branch_id": branch["branch_id"], "code": branch["branch_code"],
            "staff_id": coordinator, "name": "Anna", "email": "k@digest.test",
            "language": "pl"}))  # fmt: skip

        async def known() -> bool:
            return bool(await platform.fetchval("SELECT count(*) FROM notifications.staff"))

        await eventually(known, message="notifications did not learn the coordinator")
        async with service.unit_of_work() as uow:
            await preferences.set_staff_preference(uow, uuid.UUID(coordinator), True)
        for trace_id in traces:
            submitted = integration_event("matching", "application.submitted.v1", {
                "task_id": task_id, "volunteer_id": str(uuid.uuid4()),
                "application_id": str(uuid.uuid4()), **branch})  # fmt: skip
            await publish(
                platform, {**submitted, "traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
            )

        async def held() -> bool:
            count = await platform.fetchval(
                "SELECT count(*) FROM notifications.messages WHERE status = 'held'"
            )
            return int(count) == 2

        await eventually(held, message="the applications were not held for the digest")
        clock.set(
            await platform.fetchval(
                "SELECT due_at FROM notifications.reminders WHERE kind = 'daily_digest'"
            )
        )
        await service.sender.drain()

    assert [mail.subject for mail in smtp.to("k@digest.test")] == ["Podsumowanie dnia (2)"]
    finished = spans.get_finished_spans()
    (digest,) = [span for span in finished if span.name == "compose daily digest"]
    linked = sorted(format(link.context.trace_id, "032x") for link in digest.links)
    assert linked == sorted(traces)
    held_ids = {
        str(row["id"])
        for row in await platform.fetch(
            "SELECT id FROM notifications.messages WHERE status = 'digested'"
        )
    }
    assert {(link.attributes or {}).get("notifications.message_id") for link in digest.links} == (
        held_ids
    )
    # A trace of its own (the reminder's), not one of theirs; the e-mail is sent in it.
    assert hex_trace(digest) not in traces
    fire = next(span for span in finished if span.name == "fire reminder daily_digest")
    assert digest.parent is not None and fire.context is not None
    assert digest.parent.span_id == fire.context.span_id
    send_mail = next(
        span
        for span in finished
        if span.name == "send email"
        and (span.attributes or {}).get("notifications.template") == "daily_digest"
    )
    assert digest.context is not None and send_mail.parent is not None
    assert hex_trace(send_mail) == hex_trace(digest)
    assert send_mail.parent.span_id == digest.context.span_id
