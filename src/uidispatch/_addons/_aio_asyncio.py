"""An ``aio`` run on asyncio: ``main`` as a task of a :class:`~._aio_loop.GuestLoop`.

When ``main`` ends the run winds down as ``asyncio.run`` does: the other tasks (handler
coroutines included) are cancelled and awaited, async generators are finalised, then the
loop is closed, outside any iteration, and the run is done.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from .._work._default import default_pool
from ._aio_loop import GuestLoop
from ._aio_run import Run

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher
    from ._aio_host import Host

__all__ = ["AsyncioRun"]


class AsyncioRun(Run):
    """A run whose ``main`` is an asyncio task on a guest loop of the UI thread."""

    def __init__(self, dispatcher: Dispatcher, host: Host, coro: Coroutine[Any, Any, Any]) -> None:
        self.loop = GuestLoop(host, default_pool())
        """The run's asyncio event loop (running while the run is)."""
        self._closing = False
        super().__init__(dispatcher, host, "asyncio")
        loop = self.loop
        loop.on_idle_end = self._idle_end
        loop.owns_exception = self._owns
        loop.begin()
        self._main: asyncio.Task[Any] = loop.create_task(coro, name="uidispatch.aio main")
        self._main.add_done_callback(self._main_done)

    def _owns(self, exc: BaseException) -> bool:
        main = self._main
        return main.done() and not main.cancelled() and main.exception() is exc

    def _request_cancel(self) -> None:
        loop = self.loop
        if loop.is_closed():
            return
        if self._host.is_ui_thread():
            loop.call_soon(self._cancel_main)
        else:
            with contextlib.suppress(RuntimeError):  # closed meanwhile: it ended
                loop.call_soon_threadsafe(self._cancel_main)

    def _cancel_main(self) -> None:
        self._main.cancel()

    def spawn(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """Start ``fn(*args)`` as a task; its exception goes to the error handler. Any thread."""
        if not self._host.is_ui_thread():
            self.loop.call_soon_threadsafe(self.spawn, fn, args)
            return
        task = self.loop.create_task(fn(*args))
        d = self._d

        def report(t: asyncio.Task[Any]) -> None:
            if not t.cancelled():
                exc = t.exception()
                if exc is not None:
                    d.report_error(exc, fn)

        task.add_done_callback(report)

    def add_signal_handler(self, signum: int, callback: Callable[[], object]) -> bool:
        """``loop.add_signal_handler``; False where it cannot (off the main thread)."""
        try:
            self.loop.add_signal_handler(signum, callback)
        except (ValueError, RuntimeError, NotImplementedError):
            return False
        return True

    # ------------------------------------------------------------------ winding down

    def _main_done(self, _: asyncio.Task[Any]) -> None:
        self._ending = True
        winding = self.loop.create_task(self._wind_down(), name="uidispatch.aio wind-down")
        winding.add_done_callback(self._wound_down)

    async def _wind_down(self) -> None:
        loop = self.loop
        me = asyncio.current_task()
        others = [t for t in asyncio.all_tasks(loop) if t is not me]
        for task in others:
            task.cancel()
        if others:
            await asyncio.gather(*others, return_exceptions=True)
        await loop.shutdown_asyncgens()

    def _wound_down(self, _: asyncio.Task[Any]) -> None:
        self._closing = True  # the loop closes at the end of this iteration

    def _idle_end(self) -> None:
        if not self._closing or self.loop.is_closed():
            return
        self.loop.end()
        main = self._main
        if main.cancelled():
            self._finish(None, None, True)
        else:
            exc = main.exception()
            self._finish(None if exc is not None else main.result(), exc, False)
