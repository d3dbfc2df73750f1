"""The handle of a Tk backend timer: a C-level Tcl timer that holds its backend weakly."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._backend import TkBackend

__all__ = ["TkTimer"]


class TkTimer:
    """The handle ``TkBackend.call_later`` returns; ``cancel()`` on the Tk thread only.

    The Tcl timer (``tkapp.createtimerhandler``) holds this handle until it fires or is
    cancelled; the handle reaches its backend through a weak reference, and the backend
    keeps its pending handles so that ``close()`` can cancel them.
    """

    __slots__ = ("_backend", "_fn", "_token")

    def __init__(self, backend: weakref.ref[TkBackend], fn: Callable[[], object] | None) -> None:
        self._backend = backend
        self._fn = fn
        self._token: Any = None

    def _fire(self) -> None:
        fn, self._fn, self._token = self._fn, None, None
        backend = self._backend()
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
