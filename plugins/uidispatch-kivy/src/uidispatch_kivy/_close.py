"""The Kivy side of ``AppWindow``: ``on_request_close`` of the window, closing, the App's loop.

The close request is the ``on_request_close`` event of Kivy's window: its close button
(SDL's quit event) and the Escape key both dispatch it, and a handler returning True
vetoes the close. Our handler is bound with ``fbind`` and reaches the backend through a
weak reference (the window lives as long as the process and must not keep a backend
alive). Kivy calls the handlers last bound first: ours is asked before the handlers the
app bound earlier, and a granted request goes on to them, as if we were not there. The
window does not exist until the App runs (``App.run()`` creates it after ``build()``), so
the handler is bound when Kivy's event loop starts if there was no window before.

``close_app`` leaves the loop the way a granted request does (``stopTouchApp()``):
``App.run()`` then stops the App once, dispatching its ``on_stop``. Kivy's window itself
stays, as it does after any App: Kivy has one window per process. A close made before the
loop runs ends the next ``run_main_loop`` at once.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uidispatch.backendkit import CloseRequests

if TYPE_CHECKING:
    from ._backend import KivyBackend

__all__ = ["KivyWindow", "window_of"]


class KivyWindow:
    """Close requests, closing and the main loop of one backend's App. Kivy thread only."""

    def __init__(self, backend: KivyBackend) -> None:
        self._backend = weakref.ref(backend)
        self.requests = CloseRequests()
        self._bound: tuple[Any, Any] | None = None  # (Kivy window, uid) of our handler
        self._start_uid: Any = None  # waiting for the loop's on_start to bind
        self._running = False  # inside run_main_loop's loop
        self._exit_pending = False  # close_app ran before the loop: end the next one at once

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send the window's ``on_request_close`` to ``fn`` (None: Kivy's own behaviour)."""
        self.requests.set(fn)
        if fn is None:
            self._unbind()
        else:
            self._bind()

    def _bind(self) -> None:
        from kivy.base import EventLoop  # type: ignore[import-untyped]

        window = EventLoop.window
        if self._bound is not None and self._bound[0] is window:
            return
        self._unbind()
        if window is None:
            # No window yet: App.run() creates it, then starts the loop (its on_start).
            ref = weakref.ref(self)

            def loop_started(*_: object) -> None:
                this = ref()
                if this is not None and this.requests.fn is not None:
                    this._bind()

            self._start_uid = EventLoop.fbind("on_start", loop_started)
            return
        ref = weakref.ref(self)

        def requested(*_: object, **__: object) -> bool:
            this = ref()
            return this is not None and this._requested()

        self._bound = (window, window.fbind("on_request_close", requested))

    def _unbind(self) -> None:
        from kivy.base import EventLoop

        if self._start_uid is not None:
            uid, self._start_uid = self._start_uid, None
            EventLoop.unbind_uid("on_start", uid)
        if self._bound is not None:
            (window, uid), self._bound = self._bound, None
            window.unbind_uid("on_request_close", uid)

    def _requested(self) -> bool:
        """True (Kivy: the close is vetoed) unless the request is granted."""
        return not self.requests.ask()

    def close_app(self) -> None:
        """Leave Kivy's loop as a granted close request does; idempotent. Kivy thread."""
        from kivy.base import EventLoop, stopTouchApp

        if EventLoop.status == "started" or self._running:
            stopTouchApp()  # inside App.run() before its loop started: Kivy stops it then
        else:
            self._exit_pending = True

    def run_main_loop(self) -> None:
        """``App.run()`` of the backend's App (``runTouchApp()`` without one), until it stops.

        Raises:
            RuntimeError: Kivy's event loop already runs (its loop cannot be nested).

        """
        from kivy.base import EventLoop, runTouchApp

        if self._exit_pending:
            self._exit_pending = False
            return
        if EventLoop.status == "started":
            raise RuntimeError(
                "Kivy's event loop already runs: use aio.start() from the running App instead"
            )
        backend = self._backend()
        app = backend.app if backend is not None else None
        if self.requests.fn is not None:
            self._bind()
        self._running = True
        try:
            if app is not None:
                app.run()  # type: ignore[attr-defined]
            else:
                runTouchApp()
        finally:
            self._running = False
            self._exit_pending = False


def window_of(backend: Any) -> KivyWindow:
    """The backend's :class:`KivyWindow`, made on first use."""
    window: KivyWindow | None = backend.__dict__.get("_window")
    if window is None:
        window = backend._window = KivyWindow(backend)
    return window
