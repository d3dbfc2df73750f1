"""The pool's work queue: priority order with ageing, so low-priority work cannot starve."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["WorkQueue"]

J = TypeVar("J")


class WorkQueue(Generic[J]):
    """A heap ordered by ``stamp + priority * aging``; not thread-safe (the pool locks it).

    A job waiting ``aging`` seconds gains one priority level, so within that time
    CRITICAL work goes first and FIFO order holds within a priority, yet a LOW job
    queued ``3 * aging`` seconds ago runs before a CRITICAL one queued now: a stream of
    urgent work delays it, never starves it (the usual fix for priority starvation,
    as in operating-system schedulers).

    Removal is lazy: :meth:`pop` skips jobs that ``is_live`` says were withdrawn.
    """

    def __init__(self, aging: float, is_live: Callable[[J], bool]) -> None:
        self.aging = aging
        self._is_live = is_live
        self._heap: list[tuple[float, int, J]] = []
        self._seq = itertools.count()

    def push(self, job: J, priority: int, stamp: float) -> None:
        """Queue ``job``; ``stamp`` is when it was first queued (clock seconds)."""
        heapq.heappush(self._heap, (stamp + priority * self.aging, next(self._seq), job))

    def pop(self) -> J | None:
        """The next live job in order, or ``None``."""
        heap = self._heap
        while heap:
            job = heapq.heappop(heap)[2]
            if self._is_live(job):
                return job
        return None

    def drain(self) -> Iterator[J]:
        """Remove and yield every live job, in order."""
        while (job := self.pop()) is not None:
            yield job
