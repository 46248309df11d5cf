"""The stand-ins tests/containers/stack.py puts in the place of what docker-compose.yml
takes from registry images that cannot be made from Debian's packages: Keycloak (an issuer
whose signing key the test holds), Mailpit (Python's SMTP sink) and the OpenTelemetry
Collector (an OTLP/HTTP receiver that keeps what it is sent, for the test to read)."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from shared.auth import generate_key_pair, public_jwks, sign_token

REALM = "warszawa"
ISSUER = f"http://localhost:8080/auth/realms/{REALM}"
AUDIENCE = "volunteering-platform"


IDENTITY_CONF = """\
# A stand-in for Keycloak's realm: the discovery document and the signing keys the services
# fetch, and the readiness probe on the management port.
server {
    listen 8080;
    location = /auth/realms/REALM/.well-known/openid-configuration {
        default_type application/json;
        alias /srv/identity/openid-configuration.json;
    }
    location = /auth/realms/REALM/protocol/openid-connect/certs {
        default_type application/json;
        alias /srv/identity/certs.json;
    }
}
server {
    listen 9000;
    location = /auth/health/ready {
        default_type application/json;
        return 200 '{"status": "UP"}';
    }
}
""".replace("REALM", REALM)


@dataclass
class Identity:
    """The stand-in issuer's key: the test signs tokens as Keycloak would."""

    private_pem: str
    folder: Path

    def token(self, *roles: str, subject: str = "containers-test") -> str:
        return sign_token(
            self.private_pem, subject=subject, roles=roles, issuer=ISSUER, audience=AUDIENCE
        )


def write_identity(folder: Path) -> Identity:
    private_pem, public_pem = generate_key_pair()
    folder.mkdir(mode=0o755)
    (folder / "identity.conf").write_text(IDENTITY_CONF)
    (folder / "certs.json").write_text(json.dumps(public_jwks(public_pem)))
    endpoints = f"{ISSUER}/protocol/openid-connect"
    (folder / "openid-configuration.json").write_text(
        json.dumps(
            {
                "issuer": ISSUER,
                "authorization_endpoint": f"{endpoints}/auth",
                "token_endpoint": f"{endpoints}/token",
                "jwks_uri": f"{endpoints}/certs",
                "end_session_endpoint": f"{endpoints}/logout",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )
    )
    for path in folder.iterdir():
        path.chmod(0o644)  # nginx's workers read them as another user
    return Identity(private_pem, folder)


# Mailpit's stand-in: Python 3.11's own SMTP server, printing what it receives.
SMTP_SINK = [
    "python3",
    "-W",
    "ignore",
    "-m",
    "smtpd",
    "-n",
    "-c",
    "DebuggingServer",
    "0.0.0.0:1025",
]
SMTP_PROBE = "import socket; socket.create_connection(('127.0.0.1', 1025), 4)"


# The collector's stand-in: OTLP over HTTP on 4318 (each request's body kept as a file in
# /srv/spans, mounted from the test's folder) and, for Prometheus's job, an empty /metrics on
# 8888. The answer to an export is an empty ExportTraceServiceResponse (an empty body).
COLLECTOR_SCRIPT = """\
import http.server, os, threading, uuid

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path == "/v1/traces":
            name = f"/srv/spans/{uuid.uuid4().hex}.pb"
            with open(name + ".part", "wb") as out:
                out.write(body)
            os.rename(name + ".part", name)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self):
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("content-type", "text/plain; version=0.0.4")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

for port in (4318, 8888):
    server = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)
    threading.Thread(target=server.serve_forever).start()
"""
COLLECTOR_PROBE = "import socket; socket.create_connection(('127.0.0.1', 4318), 4)"


def collector_service(image: str, spans: Path) -> dict[str, Any]:
    """The compose service standing in for otel-collector (same name, so the applications'
    OTEL_EXPORTER_OTLP_ENDPOINT is docker-compose.yml's own)."""
    spans.mkdir(mode=0o777)
    spans.chmod(0o777)  # written by the container's user
    return {
        "image": image,
        "command": ["python3", "-c", COLLECTOR_SCRIPT],
        "volumes": [f"{spans}:/srv/spans"],
        "healthcheck": {
            "test": ["CMD", "python3", "-c", COLLECTOR_PROBE],
            "interval": "5s",
            "timeout": "5s",
            "retries": 6,
        },
        "restart": "unless-stopped",
    }


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    kind: int


def received_spans(spans: Path) -> list[ReceivedSpan]:
    """Every span the stand-in collector was sent, with the service.name of its resource."""
    found: list[ReceivedSpan] = []
    for path in sorted(spans.glob("*.pb")):
        body = path.read_bytes()
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            attributes = {
                attribute.key: attribute.value.string_value
                for attribute in resource_spans.resource.attributes
            }
            for scope_spans in resource_spans.scope_spans:
                found.extend(
                    ReceivedSpan(
                        service=attributes.get("service.name", ""),
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        kind=span.kind,
                    )
                    for span in scope_spans.spans
                )
    return found
