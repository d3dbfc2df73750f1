"""Per-operation health: counters and attempt durations for each task name of a pool."""

from __future__ import annotations

from dataclasses import dataclass

from .._core._errors import TaskTimeout

__all__ = ["MAX_OPERATIONS", "OTHER", "WINDOW", "OperationBook", "OperationStats", "op_name"]

WINDOW = 128
"""How many recent attempt durations the percentiles are taken over, per operation."""

MAX_OPERATIONS = 1000
"""Distinct operation names a pool tracks; later names are counted under :data:`OTHER`."""

OTHER = "<other>"


def op_name(name: str | None) -> str:
    """The operation a task of this name counts under (an unnamed one under :data:`OTHER`)."""
    return name or OTHER


@dataclass(frozen=True)
class OperationStats:
    """A snapshot of one operation's health: the tasks of one name on one pool.

    Durations are the wall time of each attempt that ended (a retried task counts one
    duration per attempt), in seconds. ``mean_s`` and ``max_s`` cover every attempt
    since the pool was created; ``p50_s`` and ``p95_s`` cover the last 128 attempts, so
    memory stays constant however long the app runs.
    """

    name: str
    """The task name (``task.name``: the function's qualified name unless given)."""
    submitted: int
    """Tasks created under this name (single-flight hits on an existing task excluded)."""
    succeeded: int
    """Tasks that finished ``DONE``."""
    failed: int
    """Tasks that finished ``FAILED``: raised, rejected by an open breaker, or timed out."""
    cancelled: int
    """Tasks that finished ``CANCELLED``."""
    timed_out: int
    """Failed tasks whose error was a :class:`~uidispatch.TaskTimeout` (also in ``failed``)."""
    retried: int
    """Retries started after a failed (or timed-out) attempt."""
    running: int
    """Attempts running now."""
    mean_s: float
    """Mean attempt duration, seconds (0.0 before the first attempt ended)."""
    p50_s: float
    """Median attempt duration over the recent window, seconds."""
    p95_s: float
    """95th percentile attempt duration over the recent window, seconds."""
    max_s: float
    """Longest attempt, seconds."""
    last_error: str | None
    """``"ExceptionType: message"`` of the latest task failure (cut at 200 characters)."""


class Operation:
    """Live counters of one operation; mutated under the pool's lock only."""

    __slots__ = (
        "cancelled",
        "failed",
        "last_error",
        "max_s",
        "name",
        "next",
        "recent",
        "retried",
        "running",
        "runs",
        "submitted",
        "succeeded",
        "timed_out",
        "total_s",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.submitted = self.succeeded = self.failed = self.cancelled = 0
        self.timed_out = self.retried = self.running = self.runs = 0
        self.total_s = self.max_s = 0.0
        self.recent: list[float] = []  # a ring of WINDOW durations once full
        self.next = 0
        self.last_error: str | None = None

    def ran(self, elapsed: float) -> None:
        """Book one ended attempt of ``elapsed`` seconds."""
        self.runs += 1
        self.total_s += elapsed
        if elapsed > self.max_s:
            self.max_s = elapsed
        recent = self.recent
        if len(recent) < WINDOW:
            recent.append(elapsed)
        else:
            recent[self.next] = elapsed
            self.next = (self.next + 1) % WINDOW

    def resolved(self, ok: bool, cancelled: bool, exc: BaseException | None) -> None:
        """Book the task's final state."""
        if ok:
            self.succeeded += 1
        elif cancelled:
            self.cancelled += 1
        else:
            self.failed += 1
            if isinstance(exc, TaskTimeout):
                self.timed_out += 1
            self.last_error = _describe(exc)

    def snapshot(self) -> OperationStats:
        ordered = sorted(self.recent)
        return OperationStats(
            name=self.name,
            submitted=self.submitted,
            succeeded=self.succeeded,
            failed=self.failed,
            cancelled=self.cancelled,
            timed_out=self.timed_out,
            retried=self.retried,
            running=self.running,
            mean_s=self.total_s / self.runs if self.runs else 0.0,
            p50_s=_percentile(ordered, 0.50),
            p95_s=_percentile(ordered, 0.95),
            max_s=self.max_s,
            last_error=self.last_error,
        )


class OperationBook:
    """A pool's operations by name, at most :data:`MAX_OPERATIONS` of them."""

    __slots__ = ("ops",)

    def __init__(self) -> None:
        self.ops: dict[str, Operation] = {}

    def get(self, name: str) -> Operation:
        """The operation for ``name``, created on first use (pool lock held)."""
        op = self.ops.get(name)
        if op is None:
            if len(self.ops) >= MAX_OPERATIONS:
                name = OTHER
                op = self.ops.get(name)
            if op is None:
                op = self.ops[name] = Operation(name)
        return op

    def snapshot(self) -> dict[str, OperationStats]:
        """Every operation's :class:`OperationStats` (pool lock held)."""
        return {name: op.snapshot() for name, op in self.ops.items()}


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted durations; 0.0 when there are none."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * q // 1))  # ceil without importing math
    return ordered[int(rank) - 1]


def _describe(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 200 else text[:197] + "..."
