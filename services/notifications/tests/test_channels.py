"""The adapters against a real SMTP server and a local SMS provider's HTTP API."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

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


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key: (certificate, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = directory / "relay.pem", directory / "relay.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_file, key_file


async def test_email_goes_over_implicit_tls_to_a_relay_verified_by_its_ca(
    tmp_path: Path,
) -> None:
    certificate, key = self_signed_certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(certificate, key)
    relay = MailCatcher(free_port(), tls=server_tls).start()
    try:
        trusted = EmailSender(
            settings(smtp_port=relay.port, smtp_tls=True, smtp_ca_file=str(certificate))
        )
        try:
            await trusted.send(
                Email(to="ola@example.org", subject="s", body="b", message_id="<t@x>")
            )
        finally:
            await trusted.close()
        assert [mail.message_id for mail in relay.to("ola@example.org")] == ["<t@x>"]

        # Without the relay's CA the certificate is not trusted: nothing is sent.
        untrusted = EmailSender(settings(smtp_port=relay.port, smtp_tls=True, smtp_timeout_s=5))
        try:
            with pytest.raises(DeliveryFailed):
                await untrusted.send(
                    Email(to="ola@example.org", subject="s", body="b", message_id="<u@x>")
                )
        finally:
            await untrusted.close()
        assert len(relay.to("ola@example.org")) == 1
    finally:
        relay.stop()


def test_starttls_and_implicit_tls_exclude_each_other() -> None:
    with pytest.raises(ValidationError, match="exclude each other"):
        settings(smtp_start_tls=True, smtp_tls=True)
