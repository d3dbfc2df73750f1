"""A backend proxy that counts wake-ups, and the loop-driving helpers the suite shares."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import uidispatch as ud

from ._wait import wait_until

__all__ = ["CountingBackend", "elapse", "is_virtual", "now", "settle", "use_loop_runner"]

LoopRunner = Callable[[ud.MainThreadDispatcher, Callable[[], object], float], None]
# The toolkit's own loop for the test in progress (set by the conformance suite): while
# set, settle() and elapse() run it instead of process_events().
_runner: tuple[LoopRunner, ud.MainThreadDispatcher] | None = None


@contextlib.contextmanager
def use_loop_runner(runner: LoopRunner | None, backend: ud.MainThreadDispatcher) -> Iterator[None]:
    """Make :func:`settle` and :func:`elapse` wait inside ``runner``'s loop. Main thread."""
    global _runner
    previous = _runner
    _runner = (runner, backend) if runner is not None else None
    try:
        yield
    finally:
        _runner = previous


class CountingBackend:
    """Wraps a :class:`uidispatch.MainThreadDispatcher`, counting posts and their runs.

    ``posts`` is how often the core woke the toolkit loop; ``runs`` how many posted
    functions the loop ran (each must run exactly once, so they end equal). Build a
    :class:`uidispatch.Dispatcher` on it to see what a workload costs in wake-ups.
    Every other attribute (``now``, ``advance`` of the virtual backend...) is the
    wrapped backend's. ``close()`` leaves the wrapped backend open: its owner closes it.
    The counters may be read from any thread.
    """

    def __init__(self, inner: ud.MainThreadDispatcher) -> None:
        self.inner = inner
        self.name = inner.name
        self.posts = 0
        self.runs = 0
        self._lock = threading.Lock()

    def is_main_thread(self) -> bool:
        """The wrapped backend's answer."""
        return self.inner.is_main_thread()

    def post(self, fn: Callable[[], object]) -> None:
        """Count the wake-up and forward it; the run is counted when it happens."""
        with self._lock:
            self.posts += 1

        def run() -> None:
            with self._lock:
                self.runs += 1
            fn()

        self.inner.post(run)

    def call_later(self, delay: float, fn: Callable[[], object]) -> ud.TimerHandle:
        """The wrapped backend's timer."""
        return self.inner.call_later(delay, fn)

    def is_alive(self, obj: object) -> bool:
        """The wrapped backend's answer."""
        return self.inner.is_alive(obj)

    def process_events(self, timeout: float) -> None:
        """Pump the wrapped backend's loop."""
        self.inner.process_events(timeout)

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Register with the wrapped backend."""
        self.inner.on_app_closed(fn)

    def close(self) -> None:
        """Nothing: the wrapped backend belongs to someone else."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def is_virtual(backend: object) -> bool:
    """True for a backend on virtual time (it has ``advance()`` and ``now()``)."""
    return callable(getattr(backend, "advance", None)) and callable(getattr(backend, "now", None))


def now(backend: object) -> float:
    """The backend's clock: virtual time if it has one, else ``time.monotonic()``."""
    if is_virtual(backend):
        return float(backend.now())  # type: ignore[attr-defined]
    return time.monotonic()


# Virtual time moves in steps this large while waiting; timers still fire at their exact
# deadline (advance() runs each at its own time), so the step only sets the pace.
_VIRTUAL_STEP = 0.005


def settle(
    d: ud.Dispatcher, predicate: Callable[[], object], timeout: float = 5.0, what: str = ""
) -> None:
    """Run ``d``'s loop until ``predicate()`` holds; ``AssertionError`` after ``timeout``.

    On a real toolkit this is :func:`uidispatch.testing.wait_until`. On virtual time the
    clock is moved forward in small steps as well, so timers come due; ``timeout`` is
    then both real and virtual seconds. Main thread only.
    """
    backend = d.backend
    if predicate():
        return  # already holds: no turn of a loop needed (the app may be gone by now)
    if _runner is not None and not is_virtual(backend):
        runner, inner = _runner
        runner(inner, predicate, timeout)
        if not predicate():
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what or repr(predicate)} inside "
                f"the {inner.name} toolkit's own loop (its run_loop)"
            )
        return
    if not is_virtual(backend):
        wait_until(d, predicate, timeout, what)
        return
    deadline = time.monotonic() + timeout
    start = now(backend)
    while not predicate():
        if time.monotonic() > deadline or now(backend) - start > timeout:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what or repr(predicate)}"
            )
        backend.process_events(0.001)
        backend.advance(_VIRTUAL_STEP)  # type: ignore[attr-defined]


def elapse(d: ud.Dispatcher, seconds: float) -> None:
    """Let ``seconds`` pass with the loop running (virtual or real). Main thread only."""
    backend = d.backend
    if is_virtual(backend):
        backend.advance(seconds)  # type: ignore[attr-defined]
        backend.process_events(0.0)
        return
    if _runner is not None:
        runner, inner = _runner
        runner(inner, lambda: False, seconds)
        return
    d.run_until(lambda: False, seconds)
