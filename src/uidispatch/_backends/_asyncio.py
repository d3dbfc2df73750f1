"""The ``asyncio`` backend: a running asyncio loop is the main loop (headless apps, qasync).

Thread-safe posts use ``call_soon_threadsafe``; from the loop's own thread, ``call_soon``
(which runs on the *next* loop iteration, so a re-posted drain lets other callbacks run).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable

from ..hookspecs import BackendSpec, Detection

__all__ = ["SPEC", "AsyncioBackend"]


class AsyncioBackend:
    """A ``MainThreadDispatcher`` on an asyncio event loop.

    ``AsyncioBackend(loop)`` binds to ``loop``; without one it binds to the loop running
    in this thread, or creates (and owns, and closes) a new loop.
    """

    name = "asyncio"

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._owned = False
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.new_event_loop()
                self._owned = True
        elif not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"app must be an asyncio event loop, got {loop!r}")
        self.loop = loop
        self._thread = threading.get_ident()
        self._wake: asyncio.Future[None] | None = None
        self._ran = False
        self._closed = False

    def is_main_thread(self) -> bool:
        """True on the thread that runs (or created) the loop."""
        return threading.get_ident() == self._thread

    def _run(self, fn: Callable[[], object]) -> None:
        self._ran = True
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)
        fn()

    def post(self, fn: Callable[[], object]) -> None:
        """Schedule ``fn`` on the loop; dropped once the loop is closed. Any thread."""
        if self.is_main_thread():
            if not self.loop.is_closed():
                self.loop.call_soon(self._run, fn)
            return
        # A closed loop raises RuntimeError: the app is gone and nothing can run fn.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._run, fn)

    def call_later(self, delay: float, fn: Callable[[], object]) -> asyncio.TimerHandle:
        """``loop.call_later``. Main thread only."""
        return self.loop.call_later(delay, self._run, fn)

    def is_alive(self, obj: object) -> bool:
        """A closed loop is dead; anything else is alive."""
        if isinstance(obj, asyncio.AbstractEventLoop):
            return not obj.is_closed()
        return True

    def process_events(self, timeout: float) -> None:
        """Run the loop until a posted callback or timer ran, or ``timeout`` passed.

        Main thread only, and only while the loop is not running: inside a running loop,
        ``await`` instead.
        """
        if self.loop.is_running():
            raise RuntimeError("process_events() cannot pump a running asyncio loop; await instead")
        self.loop.run_until_complete(self._pump(timeout))

    async def _pump(self, timeout: float) -> None:
        await asyncio.sleep(0)  # what was already queued runs now
        try:
            if not self._ran:
                self._wake = self.loop.create_future()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._wake), timeout)
        finally:
            self._wake = None
            self._ran = False

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Asyncio has no close notification: a closed loop simply drops posts."""

    def close(self) -> None:
        """Close the loop if this backend created it; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._owned and not self.loop.is_running() and not self.loop.is_closed():
            self.loop.close()


def _detect() -> int:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return Detection.NONE
    return Detection.LOOP


def _current_app() -> object | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _run_loop(backend: object, until: Callable[[], object], timeout: float) -> None:
    """``loop.run_until_complete`` of a coroutine that returns once ``until()`` holds."""
    loop: asyncio.AbstractEventLoop = backend.loop  # type: ignore[attr-defined]

    async def main() -> None:
        deadline = loop.time() + timeout
        while not until() and loop.time() < deadline:
            await asyncio.sleep(0.005)

    loop.run_until_complete(main())


def _create(app: object | None) -> AsyncioBackend:
    if app is not None and not isinstance(app, asyncio.AbstractEventLoop):
        raise TypeError(f"app must be an asyncio event loop for the asyncio backend, got {app!r}")
    return AsyncioBackend(app)


SPEC = BackendSpec(
    name="asyncio",
    create=_create,
    detect=_detect,
    current_app=_current_app,
    requires=("asyncio",),
    run_loop=_run_loop,
    description="a running asyncio event loop (headless apps, services)",
)
