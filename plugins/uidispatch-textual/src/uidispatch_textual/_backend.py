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
not mounted yet is alive); an app is dead once it exited.

App end. The dispatcher closes when the app's run ends, however it was run. Not when a
task ends: ``App.run()`` runs the app in a task whose coroutine is its own ``run_app``,
and ``await app.run_async()`` inside a longer coroutine leaves that task running (and the
loop with it) after the app ended, so neither the task nor the loop says the app is gone.
What every run ends with is the app's ``_shutdown()`` (``run_async()``, and so ``run()``,
call it in a ``finally``; ``run_test()`` when its ``async with`` block ends): the backend
hooks it on the app instance, once per app, and closes first thing in it. Under
``run_test()`` the app's end comes earlier, when the task that runs its message loop
(``App._task``) finishes, as after ``app.exit()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Callable
from typing import Any

from uidispatch.backendkit import AppClosedCallbacks, AttachedTracker, PostQueue

__all__ = ["TextualBackend", "on_app_end"]


class _AppEnd:
    """What to call when one app's current run ends, and whether it is ending now."""

    __slots__ = ("ending", "fns")

    def __init__(self) -> None:
        self.fns: list[Callable[[], object]] = []
        self.ending = False


_ends: weakref.WeakKeyDictionary[Any, _AppEnd] = weakref.WeakKeyDictionary()


def _ended(app: Any) -> bool:
    """True once the app's shutdown closed its message pump (and after)."""
    return bool(app._closing or app._closed)


def on_app_end(app: Any, fn: Callable[[], object]) -> None:
    """Call ``fn()`` once, first thing when ``app``'s current run ends. The app's thread.

    Textual has no public "the app ended" hook, and every way of running an app ends in
    ``App._shutdown()``: it is wrapped on the instance, once per app, to call what was
    registered for this run before it shuts the app down. Once the shutdown began,
    ``fn()`` is called at once.
    """
    end = _ends.get(app)
    if _ended(app) or (end is not None and end.ending):
        fn()
        return
    if end is not None:
        end.fns.append(fn)
        return
    shutdown = getattr(app, "_shutdown", None)
    if shutdown is None:  # a Textual without it: the run's task is all that is watched
        return
    _ends[app] = end = _AppEnd()
    end.fns.append(fn)

    async def _shutdown() -> None:
        end.ending = True
        ending, end.fns = end.fns, []  # this run's; a later run registers anew
        try:
            for fn in ending:
                fn()
        finally:
            try:
                await shutdown()
            finally:
                end.ending = False  # from here on the app's closed pump says it ended

    app._shutdown = _shutdown


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
        notify = self._closed_callbacks.notify
        on_app_end(self.app, notify)
        # run_test() runs the app's message loop in a task of its own: the app ended when
        # it finished (after app.exit()), before the test's `async with` block ends.
        task = getattr(self.app, "_task", None)
        if isinstance(task, asyncio.Task) and not task.done():
            task.add_done_callback(lambda _: notify())

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
        """``loop.call_later`` on the app's loop. Main thread only; never fires after close()."""

        def fire() -> None:
            if self._closed:  # close() may come from a worker: the loop's handle lives on
                return
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
        """Call ``fn()`` once when the app's run ends, however it was run. Any thread.

        ``run()``, ``run_async()`` (even inside a coroutine that goes on running on the
        same loop) and ``run_test()`` alike.
        """
        self._closed_callbacks.add(fn)

    def close(self) -> None:
        """Drop queued posts; idempotent. Any thread."""
        self._closed = True
        self._posts.close()

    def __repr__(self) -> str:
        return f"<uidispatch_textual.TextualBackend app={self.app!r}>"
