"""The batch worker ends on its own cancellation only.

aiormq cancels an ack's future when its channel closes (a broker restart). That
CancelledError must not end the worker: deliveries already queued for it would wait with
the prefetch full, and no new delivery would come to start another.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from shared.consumer import EventConsumer


class _Worker(EventConsumer):
    """The batch loop alone: each batch's first delivery says how applying it ends."""

    def __init__(self) -> None:
        self._batch_max = 8
        self._waiting = asyncio.Queue()
        self._worker = None
        self._service = "test"
        self.applied: list[str] = []

    async def _apply_batch(self, batch: list[Any]) -> None:
        outcome = batch[0]
        if outcome == "cancelled-with-its-channel":
            raise asyncio.CancelledError
        if outcome == "failed":
            raise ConnectionError("the channel closed")
        self.applied.extend(batch)


async def _settled(worker: _Worker) -> None:
    for _ in range(100):
        if worker._waiting.empty():
            return
        await asyncio.sleep(0.01)


async def test_an_ack_cancelled_with_its_channel_does_not_end_the_worker() -> None:
    worker = _Worker()
    await worker.receive(cast(Any, "cancelled-with-its-channel"))
    await asyncio.sleep(0.05)
    # Already queued when the batch was interrupted, with no delivery after them.
    worker._waiting.put_nowait(cast(Any, "first"))
    worker._waiting.put_nowait(cast(Any, "second"))
    await _settled(worker)
    await asyncio.sleep(0.05)

    assert worker.applied == ["first", "second"]
    assert worker._worker is not None and not worker._worker.done()
    await worker.stop()


async def test_a_failed_batch_does_not_end_the_worker() -> None:
    worker = _Worker()
    await worker.receive(cast(Any, "failed"))
    await asyncio.sleep(0.05)
    worker._waiting.put_nowait(cast(Any, "next"))
    await _settled(worker)
    await asyncio.sleep(0.05)

    assert worker.applied == ["next"]
    await worker.stop()


async def test_stopping_ends_the_worker() -> None:
    worker = _Worker()
    await worker.receive(cast(Any, "one"))
    await asyncio.sleep(0.05)
    task = worker._worker
    await worker.stop()

    assert task is not None and task.done()
    assert worker._worker is None
