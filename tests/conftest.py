from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from uidispatch._core import _plugins, _registry


@pytest.fixture(autouse=True)
def _fresh_defaults(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees another's use() default, cached binding or backend env var."""
    monkeypatch.delenv("UIDISPATCH_BACKEND", raising=False)
    monkeypatch.delenv("UIDISPATCH_WORKERS", raising=False)
    _registry.reset()
    yield
    _registry.reset()
    _plugins.reset_registry()


class ManualTimers:
    """Virtual time for a pool's timers, a RateLimiter or a CircuitBreaker.

    Stands in for their clock and timer thread: ``schedule`` only records, and
    ``advance`` moves time and runs what fell due, in order, on the calling thread.
    """

    def __init__(self) -> None:
        import threading

        self._cond = threading.Condition()
        self._now = 0.0
        self._seq = 0
        self._heap: list[tuple[float, int, _ManualHandle]] = []
        self._threads: list[object] = []

    def now(self) -> float:
        return self._now

    def schedule(self, delay: float, fn: Callable[[], object]) -> _ManualHandle:
        import heapq

        handle = _ManualHandle(self._now + delay, fn)
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (handle.when, self._seq, handle))
            self._cond.notify_all()
        return handle

    def due_times(self) -> list[float]:
        """When the pending (not cancelled) timers fall due, in order."""
        with self._cond:
            return sorted(when for when, _, h in self._heap if not h.cancelled)

    def wait_for_timer(self, at: float | None = None, timeout: float = 5.0) -> None:
        """Wait (real time) until a timer is pending (falling due at ``at`` if given)."""

        def ready() -> bool:
            times = [w for w, _, h in self._heap if not h.cancelled]
            return bool(times) if at is None else any(abs(w - at) < 1e-9 for w in times)

        with self._cond:
            assert self._cond.wait_for(ready, timeout), (at, self.due_times())

    def advance(self, seconds: float) -> None:
        import heapq

        target = self._now + seconds
        while True:
            with self._cond:
                if not self._heap or self._heap[0][0] > target:
                    break
                when, _, handle = heapq.heappop(self._heap)
                self._now = max(self._now, when)
            if not handle.cancelled:
                handle.fn()
        self._now = target

    def close(self, wait: bool = True) -> None:
        with self._cond:
            self._heap.clear()

    def owns(self, thread: object) -> bool:
        return False

    def use_for(self, *targets: object) -> ManualTimers:
        """Drive these pools, limiters and breakers by this clock; returns self."""
        import uidispatch as ud

        for target in targets:
            if isinstance(target, ud.Pool):
                target._sched.clock = self.now
                target._sched.timers = self  # type: ignore[assignment]
            else:
                target._clock = self.now  # type: ignore[attr-defined]
                target._timers = self  # type: ignore[attr-defined]
        return self


class _ManualHandle:
    __slots__ = ("cancelled", "fn", "when")

    def __init__(self, when: float, fn: Callable[[], object]) -> None:
        self.when = when
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


@pytest.fixture
def manual_time() -> ManualTimers:
    """Virtual time for pools, rate limiters and breakers (see ManualTimers.use_for)."""
    return ManualTimers()
