"""Task, TaskState, progress and cancellation context (placeholder, being implemented)."""

from __future__ import annotations

import concurrent.futures
import enum
from typing import Any

__all__ = ["Task", "TaskState", "cancelled", "check_cancelled", "report_progress"]


class TaskState(enum.Enum):
    """Lifecycle state of a Task."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Task(concurrent.futures.Future[Any]):
    """A unit of background work (placeholder)."""


def report_progress(value: object, message: str | None = None) -> None:
    """Report progress from inside a task (placeholder)."""
    raise NotImplementedError


def cancelled() -> bool:
    """Whether the current task was cancelled (placeholder)."""
    raise NotImplementedError


def check_cancelled() -> None:
    """Raise TaskCancelled if the current task was cancelled (placeholder)."""
    raise NotImplementedError
