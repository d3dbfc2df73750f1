"""Streaming items: every item a task emits reaches ``on_item`` on the main thread, in order.

Progress is coalesced (latest wins); items never are. To keep a fast producer from
flooding the UI loop they travel in batches: one dispatcher post carries every item
buffered since the previous batch ran, so the UI pays one post per turn, not one per
item. ``max_buffered`` bounds the batch: a producer that outruns the UI waits for the
next batch to be taken instead of growing memory without limit.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._core._errors import DispatcherClosed, TaskCancelled
from .._core._options import CALLBACK_WAY_OUT, check_callback
from ._task import Task, TaskState

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher

__all__ = ["ItemStream", "add_on_item", "check_stream"]

logger = logging.getLogger("uidispatch")

_CANCELLED = TaskState.CANCELLED
_CLOSED_POLL = 0.25  # seconds: how often a producer waiting for room checks the UI is alive


def check_stream(on_item: object, max_buffered: object) -> int | None:
    """Validate ``submit``'s ``on_item=`` and ``max_buffered=``; return ``max_buffered``."""
    if on_item is not None:
        check_callback("on_item", on_item, CALLBACK_WAY_OUT)
    if max_buffered is None:
        return None
    if on_item is None:
        raise ValueError(f"max_buffered={max_buffered!r} needs on_item=: it bounds the items")
    if type(max_buffered) is not int or max_buffered < 1:
        raise ValueError(f"max_buffered must be an int >= 1 or None, got {max_buffered!r}")
    return max_buffered


def add_on_item(
    task: Task[Any],
    callback: Callable[[Any], object],
    owner: weakref.ref[Any] | None,
    max_buffered: int | None = None,
) -> None:
    """Make ``task`` stream its items to ``callback`` (``owner``: a weak reference or None)."""
    with task._lock:
        if task._resolved:
            return  # nothing more will be emitted
        stream = task._stream
        if stream is None:
            stream = task._stream = ItemStream(task, max_buffered)
    if stream.add(callback, owner):
        task._add_stop_hook(stream._wake)  # a producer waiting for room wakes on cancel


class ItemStream:
    """A task's item buffer and the callbacks it feeds; any thread may emit."""

    def __init__(self, task: Task[Any], max_buffered: int | None) -> None:
        self._task = task
        self._cond = threading.Condition(threading.Lock())
        self._buffer: list[Any] = []
        self._posted = False
        self._callbacks: tuple[tuple[Callable[[Any], object], Any], ...] = ()
        self.max_buffered = max_buffered
        self.discarded = 0
        """Items never delivered: their task was cancelled, or the dispatcher closed."""
        self._d: Dispatcher | None = None  # where the batches go

    def add(self, callback: Callable[[Any], object], owner: weakref.ref[Any] | None) -> bool:
        """Add a callback; True for the first one."""
        with self._cond:
            self._callbacks = (*self._callbacks, (callback, owner))
            return len(self._callbacks) == 1

    def emit(self, item: object) -> None:
        """Buffer ``item`` for the main thread (the producer's thread).

        Raises:
            TaskCancelled: the task was cancelled or timed out (also while waiting
                for room): the producer should stop.

        """
        task = self._task
        with self._cond:
            if task._resolved:
                raise TaskCancelled(f"{task._label()} should stop: it was {task._phase.value}")
            self._forget_if_closed_locked()
            bound = self.max_buffered
            # A coroutine shares the pool's loop with the others: it never blocks it.
            if bound is not None and asyncio._get_running_loop() is None:
                while len(self._buffer) >= bound:
                    # Timed: a dispatcher closed with its app drops the batch on its way
                    # without telling anyone, and a producer must not wait for it forever.
                    self._cond.wait(_CLOSED_POLL)
                    if task._resolved:
                        raise TaskCancelled(
                            f"{task._label()} should stop: it was {task._phase.value}"
                        )
                    self._forget_if_closed_locked()
            self._buffer.append(item)
            if self._posted:
                return  # the batch already on its way takes this item too
            self._posted = True
        try:
            d = self._d = task._dispatcher()
            d.call_soon(self._flush, priority=task.priority)
        except DispatcherClosed:
            self._drop_all("the dispatcher is closed")
        except Exception:
            logger.exception("%r: could not post items to the main thread", task)
            self._drop_all("posting failed")

    def _forget_if_closed_locked(self) -> None:
        d = self._d
        if self._posted and d is not None and d.closed:
            # The batch on its way died with the dispatcher: the UI is gone.
            self.discarded += len(self._buffer)
            self._buffer = []
            self._posted = False

    def _drop_all(self, why: str) -> None:
        with self._cond:
            count = len(self._buffer)
            self._buffer = []
            self._posted = False
            self.discarded += count
            self._cond.notify_all()
        logger.debug("%r: %d items discarded: %s", self._task, count, why)

    def _wake(self) -> None:  # the task was cancelled or timed out
        with self._cond:
            self._cond.notify_all()

    def _flush(self) -> None:
        """Deliver the batch (main thread, one post per batch)."""
        with self._cond:
            items, self._buffer = self._buffer, []
            self._posted = False
            self._cond.notify_all()
            callbacks = self._callbacks
            task = self._task
            if task._phase is _CANCELLED:
                # Cancelled work's output is stale (a restarted search): never shown.
                self.discarded += len(items)
                return
        d = self._d
        alive = d.backend.is_alive if d is not None else None
        for item in items:
            for callback, owner in callbacks:
                if owner is not None:
                    # As the dispatcher does for an owner: a collected or destroyed
                    # widget (Tk winfo_exists, Qt isValid) is skipped, never called.
                    target = owner()
                    if target is None or (alive is not None and not alive(target)):
                        continue
                try:
                    callback(item)
                except Exception as exc:
                    task._dispatcher().report_error(exc, callback)
