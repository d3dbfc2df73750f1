"""The GTK backend: the GLib main loop GTK 3 and 4 run on, one idle source per batch.

Wake-up. ``post`` (a ``backendkit.PostQueue``) adds one ``GLib.idle_add`` source per
batch. ``g_idle_add`` is thread-safe: it attaches the source to the default main
context under the context's lock and wakes the context, and never waits for the main
thread. A source added while another is being dispatched runs in a *later* iteration of
the main loop, so the core's re-posted drain lets GTK process input and paint in between.
The naive pattern, ``GLib.idle_add(cb)`` per call, allocates and attaches one source per
call, and every source attached before an iteration runs in that iteration.

Timers: every ``call_later`` shares one ``GLib.timeout_add`` source (``backendkit.TimerHeap``);
GLib counts whole milliseconds, so each is armed rounded *up* and never fires early; one
source is removed on close instead of many.

Liveness: a ``Gtk.Widget`` is dead once its ``destroy`` signal fired after the backend
first saw it, or once it left its toplevel (no parent, not a listed toplevel window) after
the backend saw it there; a widget never seen attached is alive (it may not be packed yet).

App end: bound to a ``Gtk.Application``, its ``shutdown`` signal closes the dispatcher;
bound to a ``Gtk.Window``, its ``destroy`` signal does. Bound to neither (no ``app=`` and
no default ``Gtk.Application``), the backend serves whatever loop runs the default main
context, and the end of that loop's run closes it: ``Gtk.main()`` or
``GLib.MainLoop.run()`` returning, or ``Gio.Application.run()`` (see ``_runs``: GLib has
no signal for it, so those entry points are wrapped).
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from uidispatch.backendkit import (
    AppClosedCallbacks,
    AttachedTracker,
    KitTimer,
    PostQueue,
    TimerHeap,
)

from ._close import window_of
from ._runs import hook_loop_runs, on_loop_return

__all__ = ["GtkBackend"]


class _Source:
    """The one GLib timeout source the heap arms; ``cancel()`` removes it."""

    __slots__ = ("_id",)

    def __init__(self, delay: float, callback: Callable[[], object]) -> None:
        from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        self._id = 0

        def fire() -> bool:
            self._id = 0
            callback()
            return False  # one-shot: the heap re-arms

        self._id = GLib.timeout_add(math.ceil(delay * 1000 - 1e-6), fire)

    def cancel(self) -> None:
        from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        source, self._id = self._id, 0
        if source:
            GLib.source_remove(source)


def _gtk() -> Any:
    return sys.modules.get("gi.repository.Gtk")


class GtkBackend:
    """A ``MainThreadDispatcher`` on GLib's default main context (GTK 3 or 4).

    ``GtkBackend(app)`` binds to a ``Gtk.Application`` or ``Gtk.Window`` (closing with
    it) or, with ``None``, to the default main context and the loop that runs it
    (closing when that run of ``Gtk.main()``, ``app.run()`` or ``GLib.MainLoop().run()``
    returns). Its main thread is the thread that creates it: create it on the thread that
    runs the loop.

    Raises:
        TypeError: ``app`` is neither ``None``, a ``Gtk.Application`` nor a ``Gtk.Window``.

    """

    name = "gtk"

    def __init__(self, app: object | None = None) -> None:
        from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        self._glib: Any = GLib
        self._thread = threading.get_ident()
        self._closed_callbacks = AppClosedCallbacks()
        self._app: weakref.ref[Any] | None = None
        if app is not None:
            self._bind_app(app)
        else:
            hook_loop_runs()
            on_loop_return(self)
        self._ran = False
        self._closed = False
        ref = weakref.ref(self)

        def turn() -> bool:
            backend = ref()
            if backend is not None:
                backend._ran = True
                backend._posts.drain()
            return False  # GLib.SOURCE_REMOVE: one source per batch

        self._posts = PostQueue(lambda: GLib.idle_add(turn))
        self._timers = TimerHeap(self._arm)
        self._tracker = AttachedTracker(self._attached)
        self._destroyed: weakref.WeakSet[Any] = weakref.WeakSet()
        self._watched: weakref.WeakSet[Any] = weakref.WeakSet()

    def _arm(self, delay: float, callback: Callable[[], object]) -> _Source:
        def fire() -> None:
            if self._closed:  # closed from a worker: the heap is the main thread's to close
                self._timers.close()
                return
            self._ran = True
            callback()

        return _Source(delay, fire)

    def _bind_app(self, app: object) -> None:
        gtk = _gtk()
        gio = sys.modules.get("gi.repository.Gio")
        notify = self._closed_callbacks.notify
        if gio is not None and isinstance(app, gio.Application):
            app.connect("shutdown", lambda *_: notify())
        elif gtk is not None and isinstance(app, gtk.Window):
            app.connect("destroy", lambda *_: notify())
        else:
            raise TypeError(
                f"app must be a Gtk.Application, a Gtk.Window or None for the gtk backend, "
                f"got {app!r}"
            )
        self._app = weakref.ref(app)

    def _loop_returned(self) -> None:
        """The loop run this unbound backend served returned: the app ended. Its thread."""
        self._closed_callbacks.notify()

    # ------------------------------------------------------------------ the protocol

    def is_main_thread(self) -> bool:
        """True on the thread that created the backend. Any thread; after close too."""
        return threading.get_ident() == self._thread

    def post(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the main loop, soon. Any thread; never waits; dropped after close."""
        self._posts.post(fn)

    def call_later(self, delay: float, fn: Callable[[], object]) -> KitTimer:
        """Run ``fn()`` on the main loop once ``delay`` seconds passed. Main thread only."""
        return self._timers.call_later(delay, fn)

    def _attached(self, obj: object) -> bool:
        gtk = _gtk()
        if gtk is None or not isinstance(obj, gtk.Widget):
            return False
        if obj.get_parent() is not None:
            return True
        return isinstance(obj, gtk.Window) and obj in gtk.Window.list_toplevels()

    def is_alive(self, obj: object) -> bool:
        """Whether ``obj`` can still be used. Main thread only.

        A ``Gtk.Widget`` is dead once destroyed after the backend first saw it, or once
        it left its tree after the backend saw it there; never seen attached, it is
        alive. The bound ``Gtk.Application`` is dead after its ``shutdown``. Anything
        else is alive.
        """
        gtk = _gtk()
        if gtk is not None and isinstance(obj, gtk.Widget):
            if obj in self._destroyed:
                return False
            if obj not in self._watched:
                self._watched.add(obj)
                dead = self._destroyed
                obj.connect("destroy", lambda widget: dead.add(widget))
            return self._tracker.is_alive(obj)
        if self._app is not None and obj is self._app():
            return not self._closed_callbacks.notified
        return True

    def process_events(self, timeout: float) -> None:
        """Iterate the default main context until a post or timer ran, or ``timeout`` passed.

        Main thread only; for tests and ``Dispatcher.run_until`` (an app runs its loop).
        """
        glib = self._glib
        context = glib.MainContext.default()
        deadline = time.monotonic() + timeout
        self._ran = False
        while True:
            while context.pending() and not self._ran and time.monotonic() < deadline:
                context.iteration(False)
            remaining = deadline - time.monotonic()
            if self._ran or remaining <= 0:
                return
            self._wait(context, remaining)

    def _wait(self, context: Any, seconds: float) -> None:
        """One blocking iteration of ``context``, woken after ``seconds`` at the latest."""
        glib = self._glib
        woke: list[bool] = []

        def wake_up() -> bool:
            woke.append(True)
            return False

        source = glib.timeout_add(max(1, math.ceil(seconds * 1000)), wake_up)
        try:
            context.iteration(True)  # until anything is ready, our timeout included
        finally:
            if not woke:
                with contextlib.suppress(Exception):
                    glib.source_remove(source)

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` once when the app ends. Any thread.

        The bound ``Gtk.Application`` shuts down or the bound window is destroyed; bound to
        neither, the loop run it served returns.
        """
        self._closed_callbacks.add(fn)

    # The optional AppWindow capability (uidispatch.aio.run_app): see _close.py.

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send the last main window's ``delete-event`` to ``fn``; False vetoes. Main thread."""
        window_of(self).on_close_requested(fn)

    def close_app(self) -> None:
        """Destroy the app's main windows and end ``run_main_loop``; idempotent. Main thread."""
        window_of(self).close_app()

    def run_main_loop(self) -> None:
        """``Gtk.main()`` (or the bound ``Gtk.Application``'s run) until its windows are gone."""
        window_of(self).run_main_loop()

    def close(self) -> None:
        """Drop queued posts and pending timers; idempotent. Any thread (timers: main)."""
        if self._closed:
            return
        self._closed = True
        self._posts.close()
        if self.is_main_thread():
            self._timers.close()

    @property
    def app(self) -> object | None:
        """The ``Gtk.Application`` or ``Gtk.Window`` bound, or ``None``."""
        return self._app() if self._app is not None else None

    def __repr__(self) -> str:
        return f"<uidispatch_gtk.GtkBackend app={self.app!r}>"
