"""RateLimiter: at most ``max_calls`` task starts per ``period``; the rest wait, never dropped."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from .._core._options import check_count, check_seconds
from .._core._timers import TimerHandle, TimerThread

__all__ = ["RateLimiter", "Token"]

_timers = TimerThread("uidispatch-ratelimit", idle=10.0)


class Token:
    """One granted call: it holds a slot until ``period`` after its attempt started."""

    __slots__ = ("started", "when")

    def __init__(self) -> None:
        self.when = 0.0
        self.started = False


class _Waiter:
    __slots__ = ("grant", "live")

    def __init__(self, grant: Callable[[Token], object]) -> None:
        self.grant = grant
        self.live = True


class RateLimiter:
    """Let at most ``max_calls`` task attempts start in any ``period`` seconds.

    Pass it to :meth:`Pool.submit` (``rate_limiter=lim``); one limiter may be shared by
    any number of pools and threads. A task over the limit stays ``PENDING`` until a
    call is free, then starts in priority order (FIFO within a priority) across every
    pool using the limiter; nothing is dropped, and cancelling a waiting task frees its
    place. Each attempt takes a call (a retry waits for one too), counted from the
    moment it starts, so a pool whose workers are busy never bursts past the limit
    later. No polling: a timer wakes the waiters when the oldest call leaves the window.

    Raises:
        ValueError: ``max_calls`` < 1 or ``period`` not a finite number of seconds > 0.

    """

    def __init__(self, max_calls: int, period: float) -> None:
        self.max_calls = check_count("max_calls", max_calls, 1)
        """Starts allowed per ``period``."""
        self.period = check_seconds("period", period, zero_ok=False)
        """The window, in seconds."""
        self._lock = threading.Lock()
        self._tokens: list[Token] = []  # granted and not yet out of the window
        self._waiters: list[tuple[int, int, _Waiter]] = []
        self._seq = itertools.count()
        self._handle: TimerHandle | None = None
        self._wake_at: float | None = None
        # Replaced together by virtual-time tests.
        self._clock: Callable[[], float] = time.monotonic
        self._timers: Any = _timers
        self.granted = 0
        """Calls granted so far."""

    @property
    def waiting(self) -> int:
        """Tasks waiting for a call now. Any thread."""
        with self._lock:
            return sum(1 for *_, w in self._waiters if w.live)

    def __repr__(self) -> str:
        return f"<uidispatch.RateLimiter {self.max_calls} per {self.period} s>"

    # ------------------------------------------------------------------ pool side

    def _request(self, priority: int, grant: Callable[[Token], object]) -> Token | _Waiter:
        """A token now, or a waiter whose ``grant(token)`` is called later (never inline).

        Safe under a pool's lock: this never calls back into a pool.
        """
        with self._lock:
            waiters = self._waiters
            while waiters and not waiters[0][2].live:  # cancelled while waiting
                heapq.heappop(waiters)
            if not waiters and self._free_locked(self._clock()):
                return self._take_locked()
            waiter = _Waiter(grant)
            heapq.heappush(self._waiters, (priority, next(self._seq), waiter))
            self._arm_locked(self._clock())
            return waiter

    def _withdraw(self, waiter: _Waiter) -> None:
        """A waiting task was cancelled: it gives up its place. Any thread."""
        waiter.live = False

    def _started(self, token: Token) -> None:
        """The attempt holding ``token`` started now: its window begins."""
        with self._lock:
            token.when = self._clock()
            token.started = True
            self._arm_locked(token.when)

    def _release(self, token: Token) -> None:
        """The attempt holding ``token`` will never start: give the call back."""
        with self._lock:
            if token in self._tokens:
                self._tokens.remove(token)
            if self._waiters:
                self._arm(0.0)

    # ------------------------------------------------------------------ internals

    def _free_locked(self, now: float) -> bool:
        horizon = now - self.period
        tokens = self._tokens
        if len(tokens) >= self.max_calls:
            self._tokens = tokens = [t for t in tokens if not t.started or t.when > horizon]
        return len(tokens) < self.max_calls

    def _take_locked(self) -> Token:
        token = Token()
        self._tokens.append(token)
        self.granted += 1
        return token

    def _arm_locked(self, now: float) -> None:
        """Make sure a timer runs when the next call may be free (waiters only)."""
        if not self._waiters:
            return
        started = [t.when for t in self._tokens if t.started]
        if len(self._tokens) < self.max_calls:
            self._arm(0.0)
        elif started:
            self._arm(max(0.0, min(started) + self.period - now))
        # else every call is granted and not started: _started or _release re-arms.

    def _arm(self, delay: float) -> None:
        when = self._clock() + delay
        if self._wake_at is not None and self._wake_at <= when and self._handle is not None:
            return  # an earlier wake-up is already set
        if self._handle is not None:
            self._handle.cancel()
        self._wake_at = when
        self._handle = self._timers.schedule(delay, self._pump)

    def _pump(self) -> None:  # timer thread
        grants: list[tuple[_Waiter, Token]] = []
        with self._lock:
            self._handle = self._wake_at = None
            now = self._clock()
            waiters = self._waiters
            while waiters:
                waiter = waiters[0][2]
                if not waiter.live:
                    heapq.heappop(waiters)
                    continue
                if not self._free_locked(now):
                    break
                heapq.heappop(waiters)
                grants.append((waiter, self._take_locked()))
            self._arm_locked(now)
        # Outside the lock: a grant takes the pool's lock, and pools call in under theirs.
        for waiter, token in grants:
            waiter.grant(token)
