"""The handle of a Tk backend timer: a C-level Tcl timer that holds its backend weakly."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._backend import TkBackend

__all__ = ["MAX_MS", "TkTimer"]

MAX_MS = 2**31 - 1
"""Tcl timers take a C int of milliseconds (24.8 days): a longer delay re-arms in steps."""


class TkTimer:
    """The handle ``TkBackend.call_later`` returns; ``cancel()`` on the Tk thread only.

    The Tcl timer (``tkapp.createtimerhandler``) holds this handle until it fires or is
    cancelled; the handle reaches its backend through a weak reference, and the backend
    keeps its pending handles so that ``close()`` can cancel them.
    """

    __slots__ = ("_backend", "_fn", "_remaining_ms", "_token")

    def __init__(self, backend: weakref.ref[TkBackend], fn: Callable[[], object] | None) -> None:
        self._backend = backend
        self._fn = fn
        self._token: Any = None
        self._remaining_ms = 0

    def _start(self, tkapp: Any, ms: int) -> None:
        """Arm the Tcl timer for ``ms`` milliseconds, in steps of at most :data:`MAX_MS`.

        Tcl cannot hold more in one timer: a 30-day ``call_later`` fired 5.1 days early
        when its delay was capped instead.
        """
        step = min(ms, MAX_MS)
        self._remaining_ms = ms - step
        self._token = tkapp.createtimerhandler(step, self._fire)

    def _fire(self) -> None:
        backend = self._backend()
        root = None if backend is None else backend._root
        if self._remaining_ms > 0 and self._fn is not None and root is not None:
            self._start(root.tk, self._remaining_ms)  # not due yet: the next step
            return
        fn, self._fn, self._token = self._fn, None, None
        if backend is None or fn is None:
            return
        backend._timers.discard(self)
        if not backend._closed:
            backend._invoke(fn)

    def cancel(self) -> None:
        """Stop the timer if it has not fired; idempotent. Tk thread only."""
        token, self._fn, self._token = self._token, None, None
        if token is not None:
            token.deletetimerhandler()
        backend = self._backend()
        if backend is not None:
            backend._timers.discard(self)
