"""DispatchStats: a snapshot of a dispatcher's counters, and how it is read off the queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._queue import _QueueCore  # MainQueue's type

__all__ = ["DispatchStats", "snapshot"]


@dataclass(frozen=True)
class DispatchStats:
    """A snapshot of a dispatcher's counters; cheap to take and safe to share across threads.

    ``posted == executed + coalesced + dropped + pending`` always holds for a quiescent
    dispatcher: nothing is lost without being counted.
    """

    posted: int
    """Calls accepted by ``call_soon``/``call`` (including ones later coalesced or dropped)."""
    executed: int
    """Callbacks that ran (including those that raised)."""
    coalesced: int
    """Calls merged into a pending entry with the same ``key`` (latest wins)."""
    dropped: int
    """Calls that never ran: dead owner, ``drop_oldest`` overflow, withdrawn, closed."""
    errors: int
    """Callbacks (and timer callbacks) that raised; each went to the error handler."""
    pending: int
    """Calls waiting now."""
    max_pending: int
    """The most calls seen waiting at once (sampled when drains start and stats are taken)."""
    drains: int
    """Drains run on the main thread (toolkit wake-ups used)."""
    max_drain_ms: float
    """The longest single drain, in milliseconds of real time."""
    latency_p50_ms: float = 0.0
    """Median wake latency of recent drains: from the post that woke the loop to the drain."""
    latency_p99_ms: float = 0.0
    """99th percentile of the same (the last 1,024 drains)."""
    slowest: tuple[tuple[str, float], ...] = ()
    """The slowest callbacks seen (1 ms or more): ``(name, milliseconds)``, slowest first."""


def snapshot(q: _QueueCore, other_errors: int) -> DispatchStats:
    """Read ``q``'s counters (``Dispatcher.stats``); ``other_errors`` raised outside it."""
    pending = q.pending()
    if pending > q.peak:
        q.peak = pending
    dropped = q.dropped_main + q.dropped_locked
    latencies = sorted(q.latencies)
    return DispatchStats(
        posted=q.executed + q.coalesced + dropped + pending,
        executed=q.executed,
        coalesced=q.coalesced,
        dropped=dropped,
        errors=q.errors + other_errors,
        pending=pending,
        max_pending=q.peak,
        drains=q.drains,
        max_drain_ms=q.max_drain * 1000.0,
        latency_p50_ms=_percentile(latencies, 0.50) * 1000.0,
        latency_p99_ms=_percentile(latencies, 0.99) * 1000.0,
        slowest=tuple((name, sec * 1000.0) for sec, name in list(q.slowest)),
    )


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
