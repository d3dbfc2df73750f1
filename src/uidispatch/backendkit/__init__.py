"""Building blocks for backend authors: the parts every ``MainThreadDispatcher`` re-writes.

A backend supplies a handful of primitives (see :class:`uidispatch.MainThreadDispatcher`);
most of their code is the same whatever the toolkit. This module holds that code once:

- :class:`PostQueue`: a thread-safe ``post`` with one toolkit wake-up in flight, a drain
  that runs only what was queued when the turn began, and a lock that makes ``post``
  safe against ``close`` (no wake-up reaches the toolkit after ``close()`` returned).
- :class:`TimerHeap`: any number of ``call_later`` timers on a single toolkit timer, for
  toolkits whose timers are limited (pygame has one per event type) or costly; timers
  never fire early, and long delays are re-armed in steps.
- :class:`AttachedTracker`: ``is_alive`` for toolkits that cannot tell "not attached yet"
  from "removed" (a widget is dead only once it left its tree after being seen in it).
- :class:`RunningFlag` and :func:`detect_toolkit`: detection without frame tricks: a
  flag the backend's own loop hook sets, and a scorer that never imports the toolkit.
- :class:`AppClosedCallbacks`: the ``on_app_closed`` bookkeeping (call each once).
- :class:`AppWindow` (a protocol) and :class:`CloseRequests`: the optional capability
  ``uidispatch.aio.run_app`` uses: close requests that may be vetoed, closing the app,
  running its main loop.

With these a backend is about 100 lines; ``uidispatch_pygame`` is the worked example in
the backend guide (``docs/guide/writing-a-backend.md``). This module uses only the
protocol and public names, as a third-party backend would, and imports no toolkit.
"""

from __future__ import annotations

from .._core._protocol import AppWindow
from ._app import AppClosedCallbacks, AttachedTracker, CloseRequests, RunningFlag, detect_toolkit
from ._loops import run_asyncio_loop
from ._post import PostQueue
from ._timerheap import Cancellable, KitTimer, TimerHeap

__all__ = [
    "AppClosedCallbacks",
    "AppWindow",
    "AttachedTracker",
    "Cancellable",
    "CloseRequests",
    "KitTimer",
    "PostQueue",
    "RunningFlag",
    "TimerHeap",
    "detect_toolkit",
    "run_asyncio_loop",
]

# Tracebacks and docs show the public path.
for _obj in (
    AppClosedCallbacks,
    AttachedTracker,
    CloseRequests,
    KitTimer,
    PostQueue,
    RunningFlag,
    TimerHeap,
):
    _obj.__module__ = __name__
detect_toolkit.__module__ = __name__
del _obj
