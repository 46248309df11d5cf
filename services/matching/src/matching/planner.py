"""The batch plan off the event loop: a solve takes seconds of CPU, which in the service's
own process would stall its consumer, its outbox relay and its health probes meanwhile."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from matching.domain.batch_plan import Plan, plan
from matching.domain.matching import TaskSpec, VolunteerSpec

_executor: ProcessPoolExecutor | None = None


def _planner() -> ProcessPoolExecutor:
    global _executor
    if _executor is None:
        # Spawned, not forked: a fork of a process with an event loop and driver threads
        # may inherit their locks held.
        _executor = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
    return _executor


async def plan_apart(
    tasks: Sequence[TaskSpec], volunteers: Sequence[VolunteerSpec], now: datetime
) -> Plan:
    """``batch_plan.plan`` in a worker process of its own (one, kept between plans)."""
    try:
        return await asyncio.get_running_loop().run_in_executor(
            _planner(), plan, list(tasks), list(volunteers), now
        )
    except BrokenProcessPool:
        shutdown()  # the worker died (killed, out of memory): the next plan starts another
        raise


def shutdown() -> None:
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=False, cancel_futures=True)
        _executor = None
