"""uidispatch: move work off the UI thread and results back onto it, for every toolkit.

The one public door: every public name is imported here from its private module.
"""

from __future__ import annotations

import contextlib

# First: it picks the compiled or the interpreted queue before any module imports the queue.
from ._compiled import compiled

# isort: split
from ._breaker import CircuitBreaker
from ._busy import BusyHandle
from ._context import emit
from ._dispatcher import Dispatcher, DispatchStats
from ._errors import (
    BackendNotFound,
    CircuitOpen,
    DispatcherClosed,
    NoBackendDetected,
    PluginLoadWarning,
    QueueFull,
    TaskCancelled,
    TaskTimeout,
    UIDispatchError,
)
from ._gather import gather
from ._main_thread import main_thread
from ._opstats import OperationStats
from ._pool import Pool, PoolStats, submit
from ._priority import Priority
from ._protocol import MainThreadDispatcher, TimerHandle
from ._ratelimit import RateLimiter
from ._registry import BackendInfo, backends, get_dispatcher, use
from ._shutdown import shutdown
from ._subprocess import CommandResult, run_command
from ._task import Task, TaskState, cancelled, check_cancelled, report_progress
from ._timing import debounce, throttle
from ._watchdog import StallInfo, StallWatch

__version__ = "0.1.0"

__all__ = [
    "BackendInfo",
    "BackendNotFound",
    "BusyHandle",
    "CircuitBreaker",
    "CircuitOpen",
    "CommandResult",
    "DispatchStats",
    "Dispatcher",
    "DispatcherClosed",
    "MainThreadDispatcher",
    "NoBackendDetected",
    "OperationStats",
    "PluginLoadWarning",
    "Pool",
    "PoolStats",
    "Priority",
    "QueueFull",
    "RateLimiter",
    "StallInfo",
    "StallWatch",
    "Task",
    "TaskCancelled",
    "TaskState",
    "TaskTimeout",
    "TimerHandle",
    "UIDispatchError",
    "backends",
    "cancelled",
    "check_cancelled",
    "compiled",
    "debounce",
    "emit",
    "gather",
    "get_dispatcher",
    "main_thread",
    "report_progress",
    "run_command",
    "shutdown",
    "submit",
    "throttle",
    "use",
]


def _fixup_module_metadata() -> None:
    # Tracebacks and docs show the public path (trio's fixup_module_metadata).
    for name in __all__:
        obj = globals()[name]
        if getattr(obj, "__module__", "").startswith("uidispatch._"):
            with contextlib.suppress(AttributeError, TypeError):
                obj.__module__ = __name__


_fixup_module_metadata()
del _fixup_module_metadata
