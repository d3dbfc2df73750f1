"""A backend proxy that records the thread of every call, and the loops the suite drives."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import uidispatch as ud

from ._counting import _VIRTUAL_STEP, is_virtual

__all__ = ["LoopRunner", "ThreadRecordingBackend", "heap_callers", "run_virtual", "thread_name"]

LoopRunner = Callable[[ud.MainThreadDispatcher, Callable[[], object], float], None]

# Entry points the protocol allows on the main thread only (post, is_main_thread and
# close may be called from any thread).
MAIN_ONLY = ("call_later", "cancel", "process_events")


def thread_name(ident: int) -> str:
    """A readable name for a thread id: its name while it lives, else the bare id."""
    for thread in threading.enumerate():
        if thread.ident == ident:
            return f"{thread.name!r} ({ident})"
    return f"<ended thread {ident}>"


class _RecordedHandle:
    """A timer handle whose ``cancel()`` is recorded."""

    def __init__(self, owner: ThreadRecordingBackend, inner: ud.TimerHandle) -> None:
        self._owner = owner
        self._inner = inner

    def cancel(self) -> None:
        self._owner.saw("cancel")
        self._inner.cancel()


class ThreadRecordingBackend:
    """Wraps a backend, recording which thread made each call to it.

    ``calls`` lists ``(entry point, thread id)`` once per distinct pair. ``close()``
    closes the wrapped backend (this proxy is used to end it). Every other attribute is
    the wrapped backend's.
    """

    def __init__(self, inner: ud.MainThreadDispatcher) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def saw(self, entry: str) -> None:
        """Record that ``entry`` was called on this thread. Any thread."""
        pair = (entry, threading.get_ident())
        with self._lock:
            if pair not in self.calls:
                self.calls.append(pair)

    def off_main(self, main: int) -> list[tuple[str, int]]:
        """The main-thread-only calls made on a thread other than ``main``."""
        return [(e, t) for e, t in self.calls if e in MAIN_ONLY and t != main]

    def is_main_thread(self) -> bool:
        """The wrapped backend's answer."""
        return self.inner.is_main_thread()

    def post(self, fn: Callable[[], object]) -> None:
        """Forward (any thread)."""
        self.saw("post")
        self.inner.post(fn)

    def call_later(self, delay: float, fn: Callable[[], object]) -> ud.TimerHandle:
        """Forward; record the thread, and that of the handle's ``cancel()``."""
        self.saw("call_later")
        return _RecordedHandle(self, self.inner.call_later(delay, fn))

    def is_alive(self, obj: object) -> bool:
        """The wrapped backend's answer."""
        return self.inner.is_alive(obj)

    def process_events(self, timeout: float) -> None:
        """Forward."""
        self.saw("process_events")
        self.inner.process_events(timeout)

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Register with the wrapped backend."""
        self.inner.on_app_closed(fn)

    def close(self) -> None:
        """Close the wrapped backend (any thread)."""
        self.saw("close")
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def heap_callers(backend: object) -> list[tuple[str, str, int]]:
    """``(attribute, entry point, thread id)`` for every ``TimerHeap`` the backend holds.

    The heap records which threads called it (``TimerHeap.callers``); a backend that
    exposes its heap as an attribute lets the suite prove it stays on the main thread.
    """
    from uidispatch.backendkit import TimerHeap

    out: list[tuple[str, str, int]] = []
    for attr, value in vars(backend).items() if hasattr(backend, "__dict__") else ():
        if isinstance(value, TimerHeap):
            out.extend((attr, entry, ident) for ident, entry in value.callers.items())
    return out


def run_virtual(
    backend: ud.MainThreadDispatcher, until: Callable[[], object], timeout: float
) -> None:
    """The "loop" of a backend on virtual time: pump posts and move the clock in steps."""
    deadline = time.monotonic() + timeout
    start = backend.now()  # type: ignore[attr-defined]
    while not until() and time.monotonic() < deadline:
        if backend.now() - start > timeout:  # type: ignore[attr-defined]
            return
        backend.process_events(0.001)
        backend.advance(_VIRTUAL_STEP)  # type: ignore[attr-defined]


def loops_of(
    backend: ud.MainThreadDispatcher, blocking: LoopRunner | None
) -> list[tuple[str, LoopRunner]]:
    """The loops an app runs this backend in: its ``run_loop`` and a blocking one."""
    if is_virtual(backend):
        return [("the virtual-time loop", run_virtual)]
    info = ud.backends().get(backend.name)
    out: list[tuple[str, LoopRunner]] = []
    if info is not None and info.run_loop is not None:
        out.append((f"{backend.name}'s own loop (run_loop)", info.run_loop))
    if blocking is not None and all(r is not blocking for _, r in out):
        out.append((f"a {backend.name} loop blocked waiting for events (blocking_loop)", blocking))
    if not out:

        def pump(b: ud.MainThreadDispatcher, until: Callable[[], object], timeout: float) -> None:
            deadline = time.monotonic() + timeout
            while not until() and time.monotonic() < deadline:
                b.process_events(0.005)

        out.append(("process_events", pump))
    return out
