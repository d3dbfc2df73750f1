"""What ``os.fork()`` leaves in the child: only the forking thread, and locks it may not own.

Left alone, a forked child's pools would accept tasks that never start (their worker
threads did not come along, yet the counters say they are there) and the parent's
dispatchers would accept posts that nothing runs. After a fork, in the child:

- every pool works: its locks are new, its worker, timer and loop threads are forgotten
  and started afresh on demand; the parent's queued and running tasks are failed there
  with :class:`RuntimeError` naming the fork (they run in the parent, not twice);
- every dispatcher created before the fork is closed: its main loop belongs to the parent
  (a toolkit's display connection must not be touched from two processes), so posting
  raises :class:`DispatcherClosed` naming the fork, and :func:`uidispatch.get_dispatcher`
  binds a fresh one for the child's own app or loop.

Both registries are weak: forking never keeps a pool or dispatcher alive.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _release

if TYPE_CHECKING:
    from ._dispatcher import Dispatcher

__all__ = ["FORKED", "in_child", "track_dispatcher"]

FORKED = (
    " (it was created before os.fork(); its main loop belongs to the parent process: "
    "call uidispatch.get_dispatcher() in this process for one of its own)"
)

_dispatchers: weakref.WeakSet[Dispatcher] = weakref.WeakSet()

# What the pools' threads owned in the parent (an asyncio loop "running" in a thread that
# did not come along): kept, never finalized in the child, where closing it would fail
# and dropping it would warn about an unclosed loop.
left_behind: list[object] = []

_child_resets: list[Callable[[], object]] = []


def track_dispatcher(d: Dispatcher) -> None:
    """Remember ``d`` (weakly) so a forked child can close it."""
    _dispatchers.add(d)


def in_child(fn: Callable[[], object]) -> None:
    """Run ``fn()`` in a forked child, after the dispatchers are closed there.

    Each module that keeps process-wide state (the registry, the pools, the running
    commands) registers its own reset when it is imported, so this layer never imports
    the layers that hold that state. They run in the order they were registered.
    """
    _child_resets.append(fn)


def _after_fork_in_child() -> None:
    # Only this thread exists now; any lock another thread held is held forever.
    # What the parent's threads handed over to its main thread: the parent's windows,
    # never freed here (closing the dispatchers below would release them).
    left_behind.append(_release.take_all())
    for d in list(_dispatchers):
        d._forked()
    _dispatchers.clear()
    for reset in _child_resets:
        reset()


def fork_error(what: Any) -> RuntimeError:
    """The error a task inherited from the parent fails with in the child."""
    return RuntimeError(
        f"{what} was pending or running in the parent process when it called os.fork(); "
        "it runs there, not in this child: submit it again here if the child needs it"
    )


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
