"""Telling a task's own cancellation from a CancelledError that came up from below.

aiormq cancels the futures of a channel that closes (pending publisher confirms, acks), and
that CancelledError reaches whoever awaited them. A long-running loop (the relay, the batch
consumer) must end on its own cancellation (stop, shutdown) and carry on after the other.
"""

from __future__ import annotations

import asyncio


def cancelled_from_outside() -> bool:
    """Whether the running task itself is being cancelled (stop, shutdown), as opposed to a
    CancelledError that came up from something it awaited."""
    current = asyncio.current_task()
    return current is None or current.cancelling() > 0
