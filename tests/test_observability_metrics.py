"""What Prometheus scrapes: HTTP metrics by route template, the outbox backlog, readiness."""

from __future__ import annotations

import httpx
from prometheus_client import REGISTRY

from shared.testing.platform import TestPlatform


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_requests_are_counted_by_route_template_never_by_path(
    platform: TestPlatform,
) -> None:
    async with platform.running("registry", consumer_enabled="false", relay_enabled="false") as (
        registry,
    ):
        labels = {"service": "registry", "method": "GET", "route": "/v1/branches/{key}"}
        before = sample("http_requests_total", **labels, status="401")
        seconds_before = sample("http_request_duration_seconds_count", **labels)
        unmatched_before = sample(
            "http_requests_total", service="registry", method="GET", route="unmatched", status="404"
        )
        transport = httpx.ASGITransport(app=registry.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
            for key in ("bielany-1", "mokotow-7"):
                assert (await client.get(f"/v1/branches/{key}")).status_code == 401
            assert (await client.get("/no/such/page")).status_code == 404
            # A request id that is no id is replaced: it would travel on in logs and events.
            odd = await client.get("/health/live", headers={"x-request-id": "x" * 500})
            assert odd.headers["x-request-id"] != "x" * 500
            kept = await client.get("/health/live", headers={"x-request-id": "gw-42.a:b"})
            assert kept.headers["x-request-id"] == "gw-42.a:b"
            exposed = (await client.get("/metrics")).text

    assert sample("http_requests_total", **labels, status="401") == before + 2
    assert sample("http_request_duration_seconds_count", **labels) == seconds_before + 2
    assert (
        sample(
            "http_requests_total", service="registry", method="GET", route="unmatched", status="404"
        )
        == unmatched_before + 1
    )
    assert "bielany-1" not in exposed  # a path's values never become a label
    assert 'route="/metrics"' not in exposed  # scrapes are not traffic


async def test_the_outbox_backlog_and_its_oldest_row_are_measured_when_scraped(
    platform: TestPlatform,
) -> None:
    # No relay: what is written stays pending, as when the broker is away.
    async with platform.running("reporting", consumer_enabled="false", relay_enabled="false") as (
        reporting,
    ):
        for n, age_s in enumerate((95, 30)):
            await platform.fetch(
                "INSERT INTO reporting.outbox (event_id, event_type, exchange, routing_key, body,"
                " created_at) VALUES ($1, 't', 'x', 't', '\\x7b7d',"
                " now() - make_interval(secs => $2))",
                f"stuck-{n}",
                age_s,
            )
        transport = httpx.ASGITransport(app=reporting.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
            exposed = (await client.get("/metrics")).text
            assert 'outbox_pending_events{service="reporting"} 2.0' in exposed
            assert 95 <= sample("outbox_oldest_pending_age_seconds", service="reporting") < 120
            # An API-only replica's readiness is its database's: the outbox buffers.
            assert sample("service_ready", service="reporting", check="database") == 1
            assert sample("service_ready", service="reporting", check="migrations") == 1

            await platform.fetch("UPDATE reporting.outbox SET published_at = now()")
            await client.get("/metrics")
            assert sample("outbox_pending_events", service="reporting") == 0
            assert sample("outbox_oldest_pending_age_seconds", service="reporting") == 0

            await platform.fetch("UPDATE reporting.alembic_version SET version_num = 'old'")
            await client.get("/metrics")
            assert sample("service_ready", service="reporting", check="migrations") == 0


async def test_the_console_counts_its_pages_and_shows_metrics_only_inside_the_network() -> None:
    from console.app import build_app
    from console.settings import ConsoleSettings

    app = build_app(
        ConsoleSettings(session_secret="test-session-secret", volunteer_link_secret="test-link")
    )
    labels = {"service": "console", "method": "GET", "route": "/static/*", "status": "200"}
    before = sample("http_requests_total", **labels)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        assert (await client.get("/static/console.css")).status_code == 200
        scraped = await client.get("/metrics")
        through_gateway = await client.get("/metrics", headers={"x-forwarded-for": "10.1.2.3"})
    assert sample("http_requests_total", **labels) == before + 1
    assert scraped.status_code == 200
    assert 'http_requests_total{method="GET",route="/static/*"' in scraped.text
    assert through_gateway.status_code == 404
