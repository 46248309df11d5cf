"""The nginx gateway, run from deploy/gateway as `make run` runs it, in front of echo servers.

Each upstream answers with its own name, the path it was asked for and the headers it got,
so the tests see exactly what the gateway forwards: routing and prefix removal, the request
id, security headers, the body size and request rate limits, and what it keeps out.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
UPSTREAMS = ("registry", "matching", "notifications", "reporting", "console", "auth")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EchoServer:
    """An upstream that tells who it is and what it received."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.requests: list[dict[str, object]] = []
        echo = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = {
                    "upstream": echo.name,
                    "path": self.path,
                    "headers": {key.lower(): value for key, value in self.headers.items()},
                    "body_bytes": len(body),
                }
                echo.requests.append(seen)
                status = 404 if self.path.endswith("/missing") else 200
                payload = json.dumps(seen).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                # As the services do: the request id comes back on the answer.
                self.send_header("x-request-id", self.headers.get("x-request-id", ""))
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Gateway:
    url: str
    upstreams: dict[str, EchoServer]
    access_log: Path


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    prefix = tmp_path_factory.mktemp("gateway")
    upstreams = {name: EchoServer(name) for name in UPSTREAMS}
    port = free_port()
    access_log = prefix / "access.log"
    env = {
        **os.environ,
        "GATEWAY_PORT": str(port),
        "GATEWAY_RATE_PER_S": "20",
        "GATEWAY_BURST": "20",
        "GATEWAY_ACCESS_LOG": str(access_log),
        **{f"UPSTREAM_{name.upper()}": f"127.0.0.1:{s.port}" for name, s in upstreams.items()},
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "gateway.py"), "--prefix", str(prefix)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{url}/gateway/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                assert process.stderr is not None
                raise AssertionError(f"gateway did not start: {process.stderr.read().decode()}")
            time.sleep(0.1)
        yield Gateway(url, upstreams, access_log)
    finally:
        process.terminate()
        process.wait(10)
        for server in upstreams.values():
            server.stop()


def test_the_configuration_is_valid_for_nginx(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "gateway.py"),
            "--check",
            "--prefix",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("service", ["registry", "matching", "notifications", "reporting"])
def test_each_api_reaches_its_service_without_the_prefix(gateway: Gateway, service: str) -> None:
    response = httpx.get(f"{gateway.url}/api/{service}/v1/things?page=2")
    assert response.status_code == 200
    assert response.json()["upstream"] == service
    assert response.json()["path"] == "/v1/things?page=2"


def test_the_console_and_sign_in_keep_their_paths(gateway: Gateway) -> None:
    console = httpx.get(f"{gateway.url}/koordynator/zadania").json()
    assert (console["upstream"], console["path"]) == ("console", "/koordynator/zadania")
    issuer = httpx.get(f"{gateway.url}/auth/realms/warszawa/protocol/openid-connect/certs").json()
    assert issuer["upstream"] == "auth"
    assert issuer["path"] == "/auth/realms/warszawa/protocol/openid-connect/certs"
    assert console["headers"]["x-forwarded-host"] == gateway.url.removeprefix("http://")


def test_every_request_gets_an_id_that_the_service_sees(gateway: Gateway) -> None:
    first = httpx.get(f"{gateway.url}/api/matching/v1/tasks")
    second = httpx.get(f"{gateway.url}/api/matching/v1/tasks")
    made = first.headers["x-request-id"]
    assert first.headers.get_list("x-request-id") == [made], "one id, not one per hop"
    assert made and made != second.headers["x-request-id"]
    assert first.json()["headers"]["x-request-id"] == made
    # A caller's own id (from another city system, say) is kept.
    given = httpx.get(f"{gateway.url}/api/registry/v1/x", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    assert given.json()["headers"]["x-request-id"] == "abc-123"


def test_security_headers_on_pages_and_on_errors(gateway: Gateway) -> None:
    for path in ("/", "/api/reporting/v1/missing", "/api/registry/metrics"):
        response = httpx.get(f"{gateway.url}{path}")
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (path, header)
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "server" not in response.headers or "nginx/" not in response.headers["server"]


def test_operations_endpoints_stay_inside(gateway: Gateway) -> None:
    before = len(gateway.upstreams["registry"].requests)
    for path in ("/api/registry/metrics", "/api/registry/health/ready"):
        response = httpx.get(f"{gateway.url}{path}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert len(gateway.upstreams["registry"].requests) == before


def test_request_bodies_are_limited_except_the_branch_import(gateway: Gateway) -> None:
    two_megabytes = b"x" * (2 * 1024 * 1024)
    refused = httpx.post(f"{gateway.url}/api/matching/v1/tasks", content=two_megabytes)
    assert refused.status_code == 413
    imported = httpx.post(
        f"{gateway.url}/api/registry/v1/branches/import",
        content=two_megabytes,
        headers={"content-type": "text/csv"},
    )
    assert imported.status_code == 200
    assert imported.json()["path"] == "/v1/branches/import"
    assert imported.json()["body_bytes"] == len(two_megabytes)


def test_a_signed_agreement_of_five_megabytes_passes_on_its_two_paths(gateway: Gateway) -> None:
    five_megabytes = b"x" * (5 * 1024 * 1024)
    agreement = "6f1f3c1e-0000-4000-8000-000000000001"
    through_api = httpx.post(
        f"{gateway.url}/api/matching/v1/agreements/{agreement}/signed-copy?x=1",
        content=five_megabytes,
        headers={"content-type": "application/pdf"},
        timeout=30,
    )
    assert through_api.status_code == 200
    assert through_api.json()["path"] == f"/v1/agreements/{agreement}/signed-copy?x=1"
    assert through_api.json()["body_bytes"] == len(five_megabytes)
    for person in ("koordynator", "wolontariusz"):
        form = httpx.post(
            f"{gateway.url}/{person}/porozumienia/{agreement}/podpisane",
            content=five_megabytes,
            timeout=30,
        )
        assert form.status_code == 200, person
        assert form.json()["body_bytes"] == len(five_megabytes)
    # Only there: a larger body, or the same one elsewhere, is refused at the gate.
    larger = httpx.post(
        f"{gateway.url}/api/matching/v1/agreements/{agreement}/signed-copy",
        content=five_megabytes * 2,
        timeout=30,
    )
    assert larger.status_code == 413
    elsewhere = httpx.post(f"{gateway.url}/api/matching/v1/agreements", content=five_megabytes)
    assert elsewhere.status_code == 413


def test_access_log_is_json_without_query_strings(gateway: Gateway) -> None:
    httpx.get(f"{gateway.url}/wolontariusz/wejscie?t=secret-link-token")
    deadline = time.monotonic() + 5
    lines: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in gateway.access_log.read_text().splitlines()]
        if any(line["path"] == "/wolontariusz/wejscie" for line in lines):
            break
        time.sleep(0.1)
    entry = next(line for line in lines if line["path"] == "/wolontariusz/wejscie")
    assert entry["request_id"] and entry["status"] == 200
    assert "secret-link-token" not in gateway.access_log.read_text()


def test_a_flood_from_one_client_is_slowed_down(gateway: Gateway) -> None:
    # Last in this module: it spends the client's burst allowance.
    with httpx.Client() as client:
        statuses = [client.get(f"{gateway.url}/api/reporting/v1/x").status_code for _ in range(80)]
    assert 429 in statuses
    assert statuses[0] == 200


def test_hsts_only_when_served_over_tls(gateway: Gateway) -> None:
    plain = httpx.get(f"{gateway.url}/")
    assert "strict-transport-security" not in plain.headers
    behind_tls = httpx.get(f"{gateway.url}/", headers={"x-forwarded-proto": "https"})
    assert behind_tls.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    missing = httpx.get(
        f"{gateway.url}/api/reporting/v1/missing", headers={"x-forwarded-proto": "https"}
    )
    assert "strict-transport-security" in missing.headers  # errors too


@pytest.mark.parametrize("service", ["registry", "matching", "notifications", "reporting"])
def test_api_docs_are_not_served_unless_switched_on(gateway: Gateway, service: str) -> None:
    before = len(gateway.upstreams[service].requests)
    for path in ("docs", "redoc", "openapi.json"):
        response = httpx.get(f"{gateway.url}/api/{service}/{path}")
        assert response.status_code == 404, path
    assert len(gateway.upstreams[service].requests) == before
    # The API itself still passes.
    assert httpx.get(f"{gateway.url}/api/{service}/v1/anything").status_code == 200


def test_calendar_feed_tokens_never_reach_the_access_log(gateway: Gateway) -> None:
    token = "feed-token-4b1d9c7e2f"
    answer = httpx.get(f"{gateway.url}/api/matching/calendar-feeds/{token}.ics")
    assert answer.status_code == 200
    assert answer.json()["path"] == f"/calendar-feeds/{token}.ics"  # the service gets it
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        text = gateway.access_log.read_text()
        if "/api/matching/calendar-feeds/[redacted]" in text:
            break
        time.sleep(0.1)
    assert "/api/matching/calendar-feeds/[redacted]" in gateway.access_log.read_text()
    assert token not in gateway.access_log.read_text()
