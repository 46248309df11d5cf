"""The adapters against a real SMTP server and a local SMS provider's HTTP API."""

from __future__ import annotations

import pytest

from notifications.channels import DeliveryFailed, Email, EmailSender, SmsSender
from notifications.settings import NotificationsSettings
from notifications.testing import MailCatcher, SmsProvider
from shared.testing.platform import free_port

SMS_KEY = "test-sms-key"


def settings(**values: object) -> NotificationsSettings:
    return NotificationsSettings.model_validate(values)


async def test_email_goes_over_smtp_with_our_message_id(smtp: MailCatcher) -> None:
    sender = EmailSender(settings(smtp_port=smtp.port))
    try:
        answer = await sender.send(
            Email(to="ola@example.org", subject="Zażółć", body="Gęślą jaźń", message_id="<k@x>")
        )
        await sender.send(Email(to="ola@example.org", subject="2", body="b", message_id="<k2@x>"))
    finally:
        await sender.close()
    assert "queued" in answer
    first, second = smtp.to("ola@example.org")
    assert (first.subject, first.message_id, first.body.strip()) == (
        "Zażółć",
        "<k@x>",
        "Gęślą jaźń",
    )
    assert second.message_id == "<k2@x>"


async def test_a_rejected_address_is_a_permanent_failure(smtp: MailCatcher) -> None:
    smtp.reject("nobody@example.org")
    sender = EmailSender(settings(smtp_port=smtp.port))
    try:
        with pytest.raises(DeliveryFailed) as failed:
            await sender.send(
                Email(to="nobody@example.org", subject="s", body="b", message_id="<a@x>")
            )
    finally:
        await sender.close()
    assert failed.value.permanent
    assert "550" in failed.value.answer


async def test_smtp_down_is_a_transient_failure() -> None:
    sender = EmailSender(settings(smtp_port=free_port(), smtp_timeout_s=2))
    with pytest.raises(DeliveryFailed) as failed:
        await sender.send(Email(to="a@example.org", subject="s", body="b", message_id="<a@x>"))
    await sender.close()
    assert not failed.value.permanent


async def test_sms_provider_accepts_fails_and_refuses(sms: SmsProvider) -> None:
    sender = SmsSender(settings(sms_api_url=sms.url, sms_api_key=SMS_KEY))
    try:
        answer = await sender.send(to="+48600100200", text="Przypomnienie", idempotency_key="k1")
        assert answer.startswith("202")
        assert sms.received == [
            {"to": "+48600100200", "text": "Przypomnienie", "idempotency_key": "k1"}
        ]
        sms.mode = "down"
        with pytest.raises(DeliveryFailed) as down:
            await sender.send(to="+48600100200", text="x", idempotency_key="k2")
        assert not down.value.permanent and down.value.answer.startswith("503")
        sms.mode = "reject"
        with pytest.raises(DeliveryFailed) as refused:
            await sender.send(to="+48000", text="x", idempotency_key="k3")
        assert refused.value.permanent and "invalid number" in refused.value.answer
    finally:
        await sender.close()
