"""Objects a library thread must not be the last to drop: they are released on the main thread.

What our threads hold for an app (a task's function, its arguments, its callbacks and
result, a stall watch's ``on_stall``, a breaker's listeners) often names a widget. If such a
thread drops the last reference after the app let go of its window, the widget's Tk
interpreter is freed there, and Tcl aborts the process ("Tcl_AsyncDelete: async handler
deleted by the wrong thread"; BASELINES.md, Tk hazards). Such a thread hands the objects over
here instead; the main thread drops them at the start of each drain, when it closes a
dispatcher, when it next calls into the library (``get_dispatcher``, a submission, waiting
on a task) and at interpreter exit (a hand-over asks the backend of the dispatcher the work
served to run a release).

An app that never asked for a dispatcher (a Tk app using only ``ud.submit`` without
callbacks) is still an app: its objects wait too, for its main thread's next call into the
library or for exit. Nor does the lot grow without bound when nothing releases it (a
process going on without a UI): past ``KEEP_AT_MOST`` hand-overs waiting, a thread drops
its own. What the tasks in flight when the window closed held is kept; later work holds
nothing of a UI that is gone.

The hand-over moves the contents of a list (``hand_over(box)``): the caller keeps no
reference of its own, so whichever thread drops the emptied list, the objects themselves
are dropped by the main thread. Parking an object while also holding it in a local would
leave a race: the main thread could release it first, and the local would be the last.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._dispatcher import Dispatcher

__all__ = ["hand_over", "note_dispatcher", "release_parked", "take_all"]

# No locks: append, pop and copy are atomic, and a lock held by another thread at a fork
# would hang the child's exit, where the last release runs.
_parked: list[list[Any]] = []
KEEP_AT_MOST = 1024  # hand-overs waiting for the main thread; beyond, a thread drops its own
_dispatchers: list[weakref.ref[Dispatcher]] = []  # the ones a hand-over may wake, newest last
# Dispatchers (by id) asked to run a release since the last one ran: one post each per cycle.
_asked: dict[int, None] = {}


def hand_over(box: list[Any], via: weakref.ref[Dispatcher] | None = None) -> None:
    """Move everything in ``box`` to the main thread, which drops it; ``box`` is left empty.

    On the main thread, or with ``KEEP_AT_MOST`` hand-overs already waiting, the contents
    are dropped now. Elsewhere they are kept until the main thread next drains a dispatcher,
    closes one or calls into the library, or the interpreter exits. ``via`` is the
    dispatcher the work served: it is asked to run a release (once per release), and if
    it has closed, nobody is, as no UI of its is left to need the memory soon. Without
    ``via`` (work bound to no dispatcher) the newest open dispatcher is asked. Never another
    app's dispatcher on behalf of a closed one: its backend's posts are its own (a test
    counting them, a loop that must stay idle).
    """
    if len(_parked) >= KEEP_AT_MOST or threading.current_thread() is threading.main_thread():
        box.clear()
        return
    moved = box.copy()
    box.clear()
    # Append before asking: a release that cleared _asked after our check has not yet
    # popped, so it drops ours; one that clears it later makes us ask again.
    _parked.append(moved)  # 'moved' may outlive the pop: the main thread empties it
    if via is not None:
        d = via()
        if d is not None and not d.closed:
            _ask(d)
        return
    for ref in reversed(_dispatchers.copy()):
        d = ref()
        if d is not None and not d.closed and _ask(d):
            return


def _ask(d: Dispatcher) -> bool:
    # Straight to the backend, as the stall watch's heartbeat: no call of the app's is
    # posted, so nothing here shows in the dispatcher's stats.
    if id(d) in _asked:
        return True
    _asked[id(d)] = None
    try:
        d.backend.post(release_parked)
    except Exception:  # closed meanwhile: another one, or exit, releases it
        _asked.pop(id(d), None)
        return False
    return True


def note_dispatcher(d: Dispatcher) -> None:
    """Remember ``d`` (weakly) as one a hand-over may ask to release. Main thread, usually."""
    _dispatchers[:] = [r for r in _dispatchers if r() is not None]
    _dispatchers.append(weakref.ref(d))


def take_all() -> list[list[Any]]:
    """Empty the lot without dropping anything: what was waiting is the caller's (a fork)."""
    taken = _parked.copy()
    _parked.clear()
    _asked.clear()
    return taken


def release_parked() -> None:
    """Drop what other threads handed over; only on the main thread (elsewhere, nothing)."""
    if not (_parked or _asked) or threading.current_thread() is not threading.main_thread():
        return
    _asked.clear()  # before popping: see hand_over
    while True:
        try:
            _parked.pop().clear()  # the contents are dropped here, on the main thread
        except IndexError:
            return


atexit.register(release_parked)
