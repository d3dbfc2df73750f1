"""Objects a library thread must not be the last to drop: they are released on the main thread.

A user callback held by one of our threads (a stall watch's ``on_stall``) often names a
widget. If that thread drops the last reference after the app let go of its window, the
widget's Tk interpreter is freed there, and Tcl aborts the process ("Tcl_AsyncDelete: async
handler deleted by the wrong thread"; BASELINES.md, Tk hazards). Such a thread parks the
object here instead; the main thread drops what is parked at the start of each drain and at
interpreter exit.
"""

from __future__ import annotations

import atexit
import threading

__all__ = ["park", "release_parked"]

# No lock: append and pop are atomic, and a lock held by another thread at a fork would
# hang the child's exit, where the last release runs.
_parked: list[object] = []


def park(obj: object) -> None:
    """Keep ``obj`` until the main thread releases it; on the main thread, nothing to do.

    The caller must drop its own reference after this call (it is no longer the last).
    """
    if threading.current_thread() is not threading.main_thread():
        _parked.append(obj)


def release_parked() -> None:
    """Drop what other threads parked; only on the main thread (elsewhere, nothing happens)."""
    if not _parked or threading.current_thread() is not threading.main_thread():
        return
    while True:
        try:
            _parked.pop()  # dropped here, on the main thread
        except IndexError:
            return


atexit.register(release_parked)
