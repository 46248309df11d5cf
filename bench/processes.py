"""Services as their own processes for the benchmarks, with a start-up time a busy machine
needs (the test fixtures allow 30 s; a loaded two-core machine can take longer)."""

from __future__ import annotations

import os
from typing import Any

from shared.testing.platform import ServiceProcess, TestPlatform, free_port

START_TIMEOUT_S = 180.0


class ServiceProcesses:
    def __init__(self, platform: TestPlatform) -> None:
        self._platform = platform
        self._started: list[ServiceProcess] = []

    async def start(self, service: str, **overrides: Any) -> ServiceProcess:
        port = free_port()
        env = {**os.environ, **self._platform.env(service, http_port=port, **overrides)}
        process = ServiceProcess(service, port, env)
        self._started.append(process)
        await process.start(timeout=START_TIMEOUT_S)
        return process

    def stop(self) -> None:
        for process in self._started:
            process.kill()
