"""The views, cached per process for as long as the fact log has not changed.

Every fact bumps ``reporting.log_version`` in its own transaction, so one cheap query tells
a replica whether its cached snapshots (and the figures computed from them) are current.
Each replica keeps its own cache and checks the version on every request: a reader never
sees figures older than the facts committed before the request started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from reporting.domain.views import State
from reporting.projections import load_state, log_version
from shared.service import Service

T = TypeVar("T")


class ViewCache:
    def __init__(self) -> None:
        self._version: int | None = None
        self._state = State()
        self._results: dict[Hashable, Any] = {}
        self._reload = asyncio.Lock()

    async def current(self, service: Service) -> State:
        async with service.unit_of_work() as uow:
            version = await log_version(uow.session)
            if version == self._version:
                return self._state
            async with self._reload:
                if version != self._version:
                    # Loaded after reading the version: at least as new as it says.
                    self._state = await load_state(uow.session)
                    self._results = {}
                    self._version = version
                return self._state

    async def memo(self, state: State, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s result for ``key``, computed once per version of the state.

        Computed in a worker thread, so that a large view does not stall the event loop
        (the consumer and other requests go on meanwhile).
        """
        if state is not self._state:
            return await asyncio.to_thread(compute)
        if key not in self._results:
            result = await asyncio.to_thread(compute)
            if state is self._state:
                self._results[key] = result
            return result
        cached: T = self._results[key]
        return cached


def view_cache(service: Service) -> ViewCache:
    """The service's cache, kept on its HTTP app."""
    cache: ViewCache | None = getattr(service.http.state, "reporting_views", None)
    if cache is None:
        cache = ViewCache()
        service.http.state.reporting_views = cache
    return cache
