"""The Tk side of ``AppWindow``: ``WM_DELETE_WINDOW`` requests, closing, the main loop.

The close request is the window manager's ``WM_DELETE_WINDOW`` protocol of the root. Our
handler is registered with ``root.protocol`` (tkinter deletes its Tcl command with the
root) and reaches the backend through a weak reference: a Tcl command must never keep a
backend, and so a root, alive (BASELINES.md). A granted request does what the app's own
handler did, or ``root.destroy()`` when it had none, Tk's default.
"""

from __future__ import annotations

import contextlib
import tkinter
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uidispatch.backendkit import CloseRequests

if TYPE_CHECKING:
    from ._backend import TkBackend

__all__ = ["TkWindow"]


class TkWindow:
    """Close requests, closing and the main loop of one backend's root. Tk thread only."""

    def __init__(self, backend: TkBackend) -> None:
        self._backend = weakref.ref(backend)
        self.requests = CloseRequests()
        self._previous: str | None = None  # the app's own handler, while ours is installed

    def _root(self) -> tkinter.Tk | None:
        backend = self._backend()
        root = backend._root if backend is not None else None
        if root is None:
            return None
        try:
            return root if root.winfo_exists() else None
        except tkinter.TclError:
            return None

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send ``WM_DELETE_WINDOW`` of the root to ``fn`` (None: the app's own handler)."""
        self.requests.set(fn)
        root = self._root()
        if root is None:
            return
        if fn is None:
            if self._previous is not None:
                previous, self._previous = self._previous, None
                with contextlib.suppress(tkinter.TclError):
                    root.protocol("WM_DELETE_WINDOW", previous)
            return
        if self._previous is None:
            self._previous = str(root.protocol("WM_DELETE_WINDOW"))
            ref = weakref.ref(self)

            def requested() -> None:
                window = ref()
                if window is not None:
                    window._requested()

            root.protocol("WM_DELETE_WINDOW", requested)

    def _requested(self) -> None:
        if not self.requests.ask():
            return
        root = self._root()
        if root is None:
            return
        previous = self._previous
        if previous:
            root.tk.eval(previous)  # the app's own handler decides, as without us
        else:
            root.destroy()

    def close_app(self) -> None:
        """Destroy the root (``mainloop()`` returns); nothing when it is gone."""
        root = self._root()
        if root is not None:
            with contextlib.suppress(tkinter.TclError):
                root.destroy()

    def run_main_loop(self) -> None:
        """``root.mainloop()`` until the root is destroyed (or ``root.quit()``)."""
        root = self._root()
        if root is not None:
            root.mainloop()


def window_of(backend: Any) -> TkWindow:
    """The backend's :class:`TkWindow`, made on first use."""
    window: TkWindow | None = backend.__dict__.get("_window")
    if window is None:
        window = backend._window = TkWindow(backend)
    return window
