"""An SMTP server over TLS in a process of its own, counting the Message-IDs it receives.

    python -m bench.smtp_server --port P --cert server.pem --key server.key [--tls MODE]

``bench.notify`` starts it: the notifications sender and the bare aiosmtplib loop both talk
to it as to a city's mail relay (STARTTLS on connect by default, as on port 587; or TLS from
the first byte, as on port 465). It prints ``ready`` once it listens; on SIGTERM it prints
one JSON line: connections accepted, and per recipient domain the messages and Message-IDs
received and how many came more than once.

``make_certificates`` makes a throw-away CA and a server certificate for 127.0.0.1 signed
by it (with ``cryptography``), so the clients verify the server as they would in production.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import ipaddress
import json
import re
import signal
import ssl
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

READY = "ready"
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA (the clients' trust anchor) and a server certificate for 127.0.0.1 it signed:
    ``(ca.pem, server.pem, server.key)``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench.notify test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


class Counting:
    """Accepts every message; counts messages and Message-IDs per recipient domain."""

    def __init__(self) -> None:
        self.messages: Counter[str] = Counter()
        self.ids: dict[str, Counter[bytes]] = {}
        self.connections = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        found = _MESSAGE_ID.search(content)
        domain = (envelope.rcpt_tos[0].rsplit("@", 1)[-1] if envelope.rcpt_tos else "").lower()
        self.messages[domain] += 1
        self.ids.setdefault(domain, Counter())[found.group(1) if found else b""] += 1
        return "250 OK: queued"

    def summary(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            **{
                domain: {
                    "received": self.messages[domain],
                    "distinct_message_ids": len(ids),
                    "duplicates": sum(count - 1 for count in ids.values()),
                    "without_message_id": ids.get(b"", 0),
                }
                for domain, ids in self.ids.items()
            },
        }


async def serve(port: int, cert: Path, key: Path, tls: str) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Counting()
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        handler.connections += 1
        if tls == "implicit":
            return SMTP(handler, hostname="127.0.0.1")
        return SMTP(handler, hostname="127.0.0.1", tls_context=context, require_starttls=True)

    server = await loop.create_server(
        protocol, "127.0.0.1", port, ssl=context if tls == "implicit" else None
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(READY, flush=True)
    await stop.wait()
    server.close()
    print(json.dumps(handler.summary()), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.smtp_server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--tls", choices=("starttls", "implicit"), default="starttls")
    args = parser.parse_args(argv)
    # The standard event loop: aiosmtpd's STARTTLS swaps the transport's protocol by hand.
    asyncio.run(serve(args.port, args.cert, args.key, args.tls))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
