"""The pool's error cooldown: a circuit breaker that pauses new starts after a burst of failures."""

from __future__ import annotations

from collections import deque

__all__ = ["Cooldown"]


class Cooldown:
    """Counts failures in a sliding window; ``max_errors`` of them pause new starts.

    The pause lasts ``window`` seconds from the failure that tripped it, or until
    :meth:`resume`; then the count starts afresh. Not thread-safe: the pool locks it.
    ``max_errors=None`` never trips.
    """

    def __init__(self, max_errors: int | None, window: float) -> None:
        self.max_errors = max_errors
        self.window = window
        self._times: deque[float] = deque()
        self.paused_until: float | None = None
        self.trips = 0

    def record(self, now: float) -> bool:
        """Count one failure at ``now``; True when it trips the breaker."""
        if self.max_errors is None:
            return False
        times = self._times
        times.append(now)
        horizon = now - self.window
        while times and times[0] <= horizon:
            times.popleft()
        if len(times) >= self.max_errors and self.paused_until is None:
            self.paused_until = now + self.window
            self.trips += 1
            times.clear()
            return True
        return False

    def paused(self, now: float) -> bool:
        """True while paused; the pause ends by itself once its window has passed."""
        until = self.paused_until
        if until is None:
            return False
        if now >= until:
            self.paused_until = None
            return False
        return True

    def recent(self, now: float) -> int:
        """Failures counted in the window ending at ``now``."""
        horizon = now - self.window
        return sum(1 for t in self._times if t > horizon)

    def resume(self) -> None:
        """End a pause now and forget the failures counted so far."""
        self.paused_until = None
        self._times.clear()
