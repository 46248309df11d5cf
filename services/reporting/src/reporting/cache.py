"""The views, cached per process for as long as the fact log has not changed.

Every transaction that records facts bumps ``reporting.log_version`` once, as it commits
(a batch of facts moves it once), so one cheap query tells a replica whether its cached
snapshots (and the figures computed from them) are current.
Each replica keeps its own cache and checks the version on every request: a reader never
sees figures older than the facts committed before the request started.

Two caches: every snapshot (retention, the open data, the PDF), and the few kinds the
monitoring and the branches' stages read (``projections.load_monitoring_state``), which
a stream of hours entries does not make large.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from reporting.domain.views import State
from reporting.projections import load_monitoring_state, load_state, log_version
from shared.service import Service

T = TypeVar("T")


Loader = Callable[[AsyncSession], Awaitable[State]]


class ViewCache:
    def __init__(self, load: Loader = load_state) -> None:
        self._load = load
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
                    self._state = await self._load(uow.session)
                    self._results = {}
                    self._version = version
                return self._state

    async def memo(self, state: State, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """``compute()``'s result for ``key``, computed once per version of the state.

        A view is computed in a worker thread (``in_thread``), so that a large view does
        not stall the event loop (the consumer and other requests go on meanwhile).
        """
        if state is not self._state:
            return await compute()
        if key not in self._results:
            result = await compute()
            if state is self._state:
                self._results[key] = result
            return result
        cached: T = self._results[key]
        return cached


def in_thread(compute: Callable[..., T], *args: Any) -> Callable[[], Awaitable[T]]:
    """``compute(*args)`` in a worker thread, for ``ViewCache.memo``."""
    return lambda: asyncio.to_thread(compute, *args)


def _cache(service: Service, name: str, load: Loader) -> ViewCache:
    cache: ViewCache | None = getattr(service.http.state, name, None)
    if cache is None:
        cache = ViewCache(load)
        setattr(service.http.state, name, cache)
    return cache


def view_cache(service: Service) -> ViewCache:
    """The service's cache of every snapshot, kept on its HTTP app."""
    return _cache(service, "reporting_views", load_state)


def monitoring_cache(service: Service) -> ViewCache:
    """The service's cache of the monitoring's snapshots, kept on its HTTP app."""
    return _cache(service, "reporting_monitoring", load_monitoring_state)
