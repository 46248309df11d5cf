"""The registry in-process on this test's own database and vhost, with an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from registry.testing import Registry
from shared.testing.platform import TestPlatform


@pytest_asyncio.fixture
async def registry(platform: TestPlatform) -> AsyncIterator[Registry]:
    async with platform.running("registry") as (service,):
        transport = httpx.ASGITransport(app=service.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield Registry(platform, service, client)
