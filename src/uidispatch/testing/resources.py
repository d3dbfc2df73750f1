"""Resource checks shared by every backend's tests: ``close()`` releases what it held.

Each toolkit plugin runs :func:`check_close_releases` on its real toolkit. The check
schedules the kinds of work that hold user objects (a long ``call_later``, a pending
debounce and trailing throttle call, a queued ``call_soon`` with an owner, a finished
pool task), closes the dispatcher, and proves with weak references that no callback,
argument, owner, task argument or dispatcher is still alive, and that the pool's threads
are gone. :func:`open_fds` counts file descriptors for the backends that open some.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import uidispatch as ud

__all__ = ["Thing", "check_close_releases", "open_fds"]


class Thing:
    """A weakly referenceable stand-in for a user object (a callback, an argument, a widget)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0

    def __call__(self, *args: object) -> None:
        """Count the call."""
        self.calls += 1

    def __repr__(self) -> str:
        return f"<Thing {self.name}>"


def open_fds() -> int:
    """How many file descriptors this process has open (Linux and macOS), else -1."""
    for path in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(path))
        except OSError:
            continue
    return -1


def _schedule(d: ud.Dispatcher, refs: dict[str, weakref.ref[Any]]) -> ud.Task[Any]:
    """Leave one of every kind of pending work on ``d``; record a weakref to each object."""

    def keep(name: str) -> Thing:
        thing = Thing(name)
        refs[name] = weakref.ref(thing)
        return thing

    d.call_later(30 * 24 * 3600.0, keep("timer callback"), keep("timer argument"))
    debounced = d.debounce(3600.0)(keep("debounced function"))
    debounced(keep("debounce argument"))
    throttled = d.throttle(3600.0)(keep("throttled function"))
    throttled(keep("throttle leading argument"))
    throttled(keep("throttle trailing argument"))
    refs["throttle"] = weakref.ref(throttled)
    refs["debounce"] = weakref.ref(debounced)
    owner = keep("owner")
    d.call_soon(keep("queued callback"), keep("queued argument"), owner=owner)
    pool = ud.Pool(max_workers=1, dispatcher=d, name="resources-pool")
    task = pool.submit(keep("task function"), keep("task argument"))
    task.result(30)
    pool.shutdown(wait=True)
    return task


def check_close_releases(
    make: Callable[[], ud.Dispatcher],
    pump: Callable[[], object] | None = None,
    *,
    timeout: float = 10.0,
) -> None:
    """Make a dispatcher, leave work pending on it, close it, assert nothing survives.

    Main thread. ``make`` returns a fresh dispatcher on the toolkit's real loop; this
    check holds the only reference to it (plus what the library itself keeps: the
    registry, the default set by :func:`uidispatch.use`, a decorator's lazy lookup).
    ``pump`` runs the toolkit's loop once, for toolkits that free objects on a later turn
    (Qt's ``deleteLater``). Raises ``AssertionError`` naming whatever is still alive.
    """
    threads_before = {t for t in threading.enumerate() if t.name.startswith("resources-pool")}
    refs: dict[str, weakref.ref[Any]] = {}
    d = make()
    ud.use(d)
    try:
        # A module-level decorated function outlives every dispatcher it looked up.
        decorated = ud.main_thread(Thing("decorated"))
        decorated()
        task = _schedule(d, refs)
        d.close()
        dispatcher_ref = weakref.ref(d)
        del d
        deadline = time.monotonic() + timeout
        while True:
            gc.collect()
            alive = sorted(name for name, ref in refs.items() if ref() is not None)
            held = dispatcher_ref()
            if held is not None:
                holders = [type(r).__name__ for r in gc.get_referrers(held)]
                alive.append(f"dispatcher (referred to by {', '.join(holders)})")
                del held
            if not alive or time.monotonic() > deadline:
                break
            if pump is not None:
                pump()
            time.sleep(0.01)
        assert not alive, f"still alive after close(): {', '.join(alive)}"
        assert task.result() is None  # the finished task keeps its result, not its arguments
        del decorated
    finally:
        ud.use(None)
    left = {t for t in threading.enumerate() if t.name.startswith("resources-pool")}
    assert left <= threads_before, f"pool threads left after shutdown: {left - threads_before}"
