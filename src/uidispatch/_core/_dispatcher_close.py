"""Closing a dispatcher: what is dropped, who is told, and when the backend is released.

``Dispatcher.close()`` runs :func:`close_dispatcher`; its ``_finish_close`` and
``_forked`` are the functions below themselves, bound as methods.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from ._calltimer import drop_calls
from ._errors import DispatcherClosed
from ._fork import FORKED
from ._queue import _CLOSED
from ._release import release_parked

if TYPE_CHECKING:
    from ._dispatcher import Dispatcher

__all__ = ["close_dispatcher", "finish_close", "forked"]

logger = logging.getLogger("uidispatch")


def close_dispatcher(d: Dispatcher, run_pending: bool) -> None:
    """What ``d.close(run_pending)`` does (its docstring tells the caller). Any thread."""
    if not isinstance(run_pending, bool):
        raise TypeError(f"run_pending must be True or False, got {run_pending!r}")
    d._q.close(run_pending)
    drop_calls(d._calls)
    release_parked()  # on the main thread: no drain of this dispatcher comes again
    with d._lock:
        listeners, d._on_close = d._on_close, []
    for listener in listeners:
        try:
            listener(d)
        except Exception:
            logger.exception("close listener %r raised", listener)
    if d._q.state == _CLOSED:
        d._finish_close()


def finish_close(self: Dispatcher) -> None:
    """Fail every waiter still queued and close the backend, once (``_finish_close``)."""
    with self._lock:
        release_backend = not self._closed_backend
        self._closed_backend = True
    # Every waiter's entry is still queued (or running now on the main thread, and
    # then it completes): failing the queued entries releases every waiting thread.
    self._q.drop_all(DispatcherClosed("the dispatcher was closed while waiting"))
    if release_backend:
        try:
            self._backend.close()
        except Exception:
            logger.exception("closing backend %r failed", self._backend.name)


def forked(self: Dispatcher) -> None:
    """In a forked child: closed, without touching the parent's loop or any lock.

    Another thread of the parent may have held the queue's lock at the fork (held
    forever here), and closing the backend would act on the parent's toolkit.
    """
    self._q.why = FORKED
    self._lock = threading.Lock()
    self._closed_backend = True
    self._q.state = _CLOSED
