"""The Textual backend: posts onto a running Textual app's asyncio loop, one wake-up per batch.

Textual runs on asyncio: the app's message pumps are tasks on one loop, in one thread
(``App._loop``, ``App._thread_id``, set while the app runs). A callback scheduled on
that loop runs between the app's messages, on the app's thread, which is what Textual
asks of code that touches widgets.

Wake-up. ``post`` (a ``backendkit.PostQueue``) calls ``loop.call_soon_threadsafe`` once
per batch; it never waits for the app. The naive primitive, ``App.call_from_thread``,
schedules a coroutine per call *and blocks the worker until the app ran it*, so a worker
reporting progress runs at the app's pace, and deadlocks if the app waits for it.

Timers: ``loop.call_later``. Liveness: a widget is dead once it left the DOM after the
backend saw it attached (``backendkit.AttachedTracker``: a widget built by a callback and
not mounted yet is alive); an app is dead once it exited. App end: the dispatcher closes
when the task that runs the app finishes (``App.run()``, ``run_async()``, ``run_test()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from uidispatch.backendkit import AppClosedCallbacks, AttachedTracker, PostQueue

__all__ = ["TextualBackend", "app_task"]


def app_task(app: Any) -> asyncio.Task[Any] | None:
    """The task that runs ``app`` (its ``_process_messages``), if it can be found.

    ``run_test()`` keeps it as ``app._task``; ``run()`` / ``run_async()`` run the app in
    the calling task, which is the current task when asked from the app's own handlers,
    and the one task running ``App.run_async`` otherwise. Call on the app's thread.
    """
    task = getattr(app, "_task", None)
    if isinstance(task, asyncio.Task):
        return task
    current = asyncio.current_task()
    if current is not None:
        return current
    found = [
        t
        for t in asyncio.all_tasks(app._loop)
        if getattr(t.get_coro(), "__qualname__", "") == "App.run_async"
    ]
    return found[0] if len(found) == 1 else None


class TextualBackend:
    """A ``MainThreadDispatcher`` on a running Textual app.

    Its main thread is the app's thread. Build it while the app runs (from a handler
    such as ``on_mount``, or from a worker of the running app).

    Raises:
        TypeError: ``app`` is not a ``textual.app.App``.
        RuntimeError: ``app`` is not running.

    """

    name = "textual"

    def __init__(self, app: Any) -> None:
        from textual.app import App

        if not isinstance(app, App):
            raise TypeError(f"app must be a textual.app.App for the textual backend, got {app!r}")
        loop = getattr(app, "_loop", None)
        if loop is None or app._exit:
            raise RuntimeError(
                f"the textual backend binds to a running app and {app!r} is not running: ask "
                "for the dispatcher from the app (on_mount) or one of its workers"
            )
        self.app = app
        self.loop: asyncio.AbstractEventLoop = loop
        self._thread = app._thread_id
        self._ran = False
        self._wake_fut: asyncio.Future[None] | None = None
        self._closed_callbacks = AppClosedCallbacks()
        self._widgets = AttachedTracker(self._attached)
        self._closed = False

        def wake() -> None:
            # A closed loop: the app is gone and its end closes the dispatcher.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._turn)

        self._posts = PostQueue(wake)
        if self.is_main_thread():
            self._watch_app()
        else:
            loop.call_soon_threadsafe(self._watch_app)

    def _watch_app(self) -> None:
        task = app_task(self.app)
        if task is not None:
            task.add_done_callback(lambda _: self._closed_callbacks.notify())

    def _turn(self) -> None:
        self._ran = True
        fut = self._wake_fut
        if fut is not None and not fut.done():
            fut.set_result(None)
        self._posts.drain()

    # ------------------------------------------------------------------ the protocol

    def is_main_thread(self) -> bool:
        """True on the app's thread. Any thread; after close too."""
        return threading.get_ident() == self._thread

    def post(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the app's loop, soon. Any thread; never waits; dropped after close."""
        self._posts.post(fn)

    def call_later(self, delay: float, fn: Callable[[], object]) -> asyncio.TimerHandle:
        """``loop.call_later`` on the app's loop. Main thread only."""

        def fire() -> None:
            self._ran = True
            fn()

        return self.loop.call_later(delay, fire)

    def _attached(self, obj: object) -> bool:
        from textual.dom import DOMNode

        return isinstance(obj, DOMNode) and bool(obj.is_attached)

    def is_alive(self, obj: object) -> bool:
        """Whether ``obj`` can still be used. Main thread only.

        A widget (any ``DOMNode``) is dead once it left the DOM after the backend saw it
        attached; one never seen attached is alive (it may not be mounted yet). An app
        is dead once it exited. Anything else is alive.
        """
        from textual.app import App
        from textual.dom import DOMNode

        if isinstance(obj, App):
            return not (obj._exit or obj._closed or obj._closing)
        if isinstance(obj, DOMNode):
            return self._widgets.is_alive(obj)
        return True

    def process_events(self, timeout: float) -> None:
        """Run the app's loop until a post or timer ran, or ``timeout`` passed.

        Main thread only, and only while the loop is not running (tests that hold the
        app between turns); inside the running app, ``await`` instead.

        Raises:
            RuntimeError: the app's loop is running (call it from outside the loop).

        """
        if self.loop.is_running():
            raise RuntimeError(
                "process_events() cannot pump a running Textual app's loop; await instead"
            )
        self.loop.run_until_complete(self._pump(timeout))

    async def _pump(self, timeout: float) -> None:
        self._ran = False
        await asyncio.sleep(0)
        if self._ran:
            return
        self._wake_fut = self.loop.create_future()
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._wake_fut), timeout)
        finally:
            self._wake_fut = None

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` once when the app's run ends (its task finishes). Any thread."""
        self._closed_callbacks.add(fn)

    def close(self) -> None:
        """Drop queued posts; idempotent. Any thread."""
        self._closed = True
        self._posts.close()

    def __repr__(self) -> str:
        return f"<uidispatch_textual.TextualBackend app={self.app!r}>"
