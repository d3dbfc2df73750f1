"""The GTK side of ``AppWindow``: ``delete-event`` requests, closing, the main loop.

The app's main windows are the window the backend is bound to, the bound
``Gtk.Application``'s windows, or, bound to neither, every top-level ``Gtk.Window`` that is
neither a dialog nor transient for another window (popups, menus and tooltips are not
top-level windows). The close request is the ``delete-event`` (GTK 4: ``close-request``)
of the last visible one: a handler connected to each returns True to veto it, so the
window stays; otherwise GTK destroys the window as without us. Handlers the app connected
before ours run first (signal handlers run in connection order) and a veto of theirs
stands. The windows are watched when ``on_close_requested`` and ``run_main_loop`` run, and
a bound ``Gtk.Application``'s when they are added; a window made later by an unbound app
closes without being asked, and the app ends as when it destroys its window.

``run_main_loop`` runs GTK's own ``gtk_main()`` (GTK 4: a ``GLib.MainLoop``;
``g_application_run()`` for a bound ``Gtk.Application``), not PyGObject's Python wrappers
of them: those install a SIGINT handler and a ``signal.set_wakeup_fd`` of their own for the
run, which would take Ctrl-C from the asyncio loop or trio run that ``aio.run_app`` set up.
The run is counted as ``_runs`` counts the app's own, so its end still ends the app for a
backend bound to no app object. It returns once the last main window is destroyed (by a
granted request, :meth:`GtkWindow.close_app` or the app); an app's own
``Gtk.main_quit()`` ends it too. Handlers reach this object through a weak reference.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uidispatch.backendkit import CloseRequests

from ._runs import run_counted

if TYPE_CHECKING:
    from ._backend import GtkBackend

__all__ = ["GtkWindow", "window_of"]


def _gtk() -> Any:
    return sys.modules.get("gi.repository.Gtk")


def _application(app: object) -> bool:
    gio = sys.modules.get("gi.repository.Gio")
    return gio is not None and isinstance(app, gio.Application)


def _raw(namespace: str) -> Any:
    """The introspected module itself, without PyGObject's Python overrides."""
    from gi.module import get_introspection_module  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return get_introspection_module(namespace)


def _is_main(gtk: Any, window: Any) -> bool:
    window_type = getattr(window, "get_window_type", None)  # GTK 3: popups are windows too
    if window_type is not None and window_type() != gtk.WindowType.TOPLEVEL:
        return False
    return window.get_transient_for() is None and not isinstance(window, gtk.Dialog)


class GtkWindow:
    """Close requests, closing and the main loop of one backend's app. Main thread only."""

    def __init__(self, backend: GtkBackend) -> None:
        self._backend = weakref.ref(backend)
        self.requests = CloseRequests()
        self._watched: dict[Any, tuple[int, int]] = {}  # window -> (request, destroy) handlers
        self._gone: weakref.WeakSet[Any] = weakref.WeakSet()  # destroyed (still listed)
        self._app_watch: tuple[Any, int] | None = None  # (application, window-added handler)
        self._running = False  # inside run_main_loop
        self._loop: Any = None  # GTK 4: the GLib.MainLoop run_main_loop runs
        self._exit_pending = False  # close_app ran before run_main_loop: end it at once
        ref = weakref.ref(self)

        def requested(window: Any, *_: object) -> bool:
            me = ref()
            return False if me is None else me._requested(window)

        def destroyed(window: Any) -> None:
            me = ref()
            if me is not None:
                me._destroyed(window)

        def added(_app: object, _window: object) -> None:
            me = ref()
            if me is not None and (me.requests.fn is not None or me._running):
                me._watch()

        self._on_request: Callable[..., bool] = requested
        self._on_destroy: Callable[[Any], None] = destroyed
        self._on_added: Callable[[object, object], None] = added

    def _app(self) -> object | None:
        backend = self._backend()
        return None if backend is None else backend.app

    def _ended(self) -> bool:
        backend = self._backend()
        return backend is None or backend._closed_callbacks.notified

    def _main_windows(self) -> list[Any]:
        gtk = _gtk()
        if gtk is None or self._ended():
            return []
        app = self._app()
        if app is None:
            windows = [w for w in gtk.Window.list_toplevels() if _is_main(gtk, w)]
        elif _application(app):
            windows = list(app.get_windows())  # type: ignore[attr-defined]
        else:
            windows = [app]
        gone = self._gone
        return [w for w in windows if w not in gone]

    # ------------------------------------------------------------------ requests

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send the last main window's close request to ``fn`` (None: GTK's own behaviour)."""
        self.requests.set(fn)
        if fn is None:
            if not self._running:
                self._unwatch()
        else:
            self._watch()

    def _watch(self) -> None:
        gtk = _gtk()
        if gtk is None:
            return
        signal = "delete-event" if hasattr(gtk, "main") else "close-request"  # GTK 4: no main
        for window in self._main_windows():
            if window not in self._watched:
                self._watched[window] = (
                    window.connect(signal, self._on_request),
                    window.connect("destroy", self._on_destroy),
                )
        app = self._app()
        if self._app_watch is None and app is not None and _application(app):
            self._app_watch = (app, app.connect("window-added", self._on_added))  # type: ignore[attr-defined]

    def _unwatch(self) -> None:
        watched, self._watched = self._watched, {}
        for window, handlers in watched.items():
            for handler in handlers:
                if window.handler_is_connected(handler):
                    window.disconnect(handler)
        if self._app_watch is not None:
            app, handler = self._app_watch
            self._app_watch = None
            if app.handler_is_connected(handler):
                app.disconnect(handler)

    def _requested(self, window: Any) -> bool:
        """The ``delete-event`` handler: True (handled, the window stays) when vetoed."""
        if self.requests.fn is None:
            return False
        if any(w is not window and w.get_visible() for w in self._main_windows()):
            return False  # not the last one: closing it ends nothing
        return not self.requests.ask()

    def _destroyed(self, window: Any) -> None:
        self._gone.add(window)
        self._watched.pop(window, None)  # GTK drops a destroyed object's handlers itself
        if self._running and not self._main_windows():
            self._quit()

    # ------------------------------------------------------------------ closing and running

    def _quit(self) -> None:
        app = self._app()
        if app is not None and _application(app):
            app.quit()  # type: ignore[attr-defined]
        elif self._loop is not None:
            self._loop.quit()
        else:
            gtk = _gtk()
            if gtk is not None and gtk.main_level() > 0:
                gtk.main_quit()

    def close_app(self) -> None:
        """Destroy the main windows and end :meth:`run_main_loop`; idempotent."""
        for window in self._main_windows():
            window.destroy()
        if self._running:
            self._quit()
        else:
            self._exit_pending = True

    def run_main_loop(self) -> None:
        """GTK's main loop until the last main window is destroyed (or the app quits it)."""
        if self._exit_pending:
            self._exit_pending = False
            return
        gtk = _gtk()
        if gtk is None or self._ended():
            return
        self._watch()
        app = self._app()
        self._running = True
        try:
            if app is not None and _application(app):
                run_counted(_raw("Gio").Application.run, app, None)
            elif hasattr(gtk, "main"):
                run_counted(_raw("Gtk").main)
            else:
                from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

                self._loop = GLib.MainLoop()
                run_counted(_raw("GLib").MainLoop.run, self._loop)
        finally:
            self._running = False
            self._loop = None
            self._exit_pending = False
            if self.requests.fn is None:
                self._unwatch()


def window_of(backend: Any) -> GtkWindow:
    """The backend's :class:`GtkWindow`, made on first use."""
    window: GtkWindow | None = backend.__dict__.get("_window")
    if window is None:
        window = backend._window = GtkWindow(backend)
    return window
