"""Every API survives generated input: Schemathesis against each service, served for real.

Each service runs as its own process (uvicorn, its own database in this test's Postgres
database and its own vhost), and Schemathesis reads the service's own ``/openapi.json`` and
sends what it generates from it, as a city administrator: the documented examples, the
coverage phase (boundaries and just-past-boundaries of every parameter) and a bounded
fuzzing phase. A 5xx answer, or an answer that does not match its declared schema and
media type, fails the test and names the operation and the request that caused it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from shared.testing.platform import TestPlatform, eventually, free_port

SERVICES = ("registry", "matching", "notifications", "reporting")
# Per operation and phase; together with the service count this keeps the whole file
# under about a minute and a half on two cores.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))
MAX_TIME_S = int(os.environ.get("SCHEMATHESIS_MAX_TIME_S", "40"))
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@contextlib.asynccontextmanager
async def _served(platform: TestPlatform, name: str) -> AsyncIterator[str]:
    """The service behind a real HTTP server on a free port (its lifespan starts the service:
    database pool, broker connection, consumer and relay)."""
    service = platform.build(name)
    service.http.openapi()  # built once, before the server is busy answering
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            service.http, host="127.0.0.1", port=port, lifespan="on", log_level="warning"
        )
    )
    task = asyncio.create_task(server.serve(), name=f"{name}-http")
    try:
        await eventually(lambda: _started(server), timeout=30, message=f"{name} did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _started(server: uvicorn.Server) -> bool:
    return server.started


async def _schemathesis(url: str, token: str, report: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        f"{url}/openapi.json",
        "--phases",
        "examples,coverage,fuzzing",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_TIME_S),
        # One worker: Hypothesis's lambda-source cache is not thread-safe (a "recursion
        # depth mismatch" runtime error with two); the four runs go side by side instead.
        "--workers",
        "1",
        "--seed",
        "20261205",
        "--no-shrink",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
        "--output-truncate",
        "false",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
    )
    output, _ = await process.communicate()
    report.with_suffix(".txt").write_bytes(output)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


@pytest.mark.timeout(240)
async def test_every_api_survives_generated_input(platform: TestPlatform, tmp_path: Path) -> None:
    token = platform.token("city_admin", subject="schemathesis-admin")
    async with contextlib.AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(_served(platform, name)) for name in SERVICES]
        print(f"Schemathesis output: {tmp_path}/*.txt")
        results = await asyncio.gather(
            *(
                _schemathesis(url, token, tmp_path / f"{name}.xml")
                for name, url in zip(SERVICES, urls, strict=True)
            )
        )
    failed = {
        name: output for name, (code, output) in zip(SERVICES, results, strict=True) if code != 0
    }
    assert not failed, "\n\n".join(f"== {name} ==\n{output}" for name, output in failed.items())
