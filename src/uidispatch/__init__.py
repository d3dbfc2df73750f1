"""uidispatch: move work off the UI thread and results back onto it, for every toolkit.

The one public door: every public name is imported here from its private module.
"""

from __future__ import annotations

import contextlib

# First: it picks the compiled or the interpreted queue before any module imports the queue.
from ._core._compiled import compiled

# isort: split
from ._addons._threadcheck import ThreadChecker, check_threads, start_from_environment
from ._addons._threadcheck_report import Violation, WrongThreadError, WrongThreadWarning
from ._addons._watchdog import StallInfo, StallWatch
from ._core._dispatcher import Dispatcher, DispatchStats
from ._core._errors import (
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
from ._core._priority import Priority
from ._core._protocol import MainThreadDispatcher, TimerHandle
from ._core._registry import BackendInfo, backends, get_dispatcher, use
from ._services._breaker import CircuitBreaker
from ._services._opstats import OperationStats
from ._services._ratelimit import RateLimiter
from ._timing._main_thread import main_thread
from ._timing._throttle import debounce, throttle
from ._work._busy import BusyHandle, on_busy
from ._work._context import emit
from ._work._default import operation, shutdown, submit
from ._work._gather import gather
from ._work._pool import Pool, PoolStats
from ._work._subprocess import CommandResult, run_command
from ._work._task import Task, TaskState, cancelled, check_cancelled, report_progress

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
    "ThreadChecker",
    "TimerHandle",
    "UIDispatchError",
    "Violation",
    "WrongThreadError",
    "WrongThreadWarning",
    "backends",
    "cancelled",
    "check_cancelled",
    "check_threads",
    "compiled",
    "debounce",
    "emit",
    "gather",
    "get_dispatcher",
    "main_thread",
    "on_busy",
    "operation",
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

# Last: the toolkit parts are plugins, which import this package (UIDISPATCH_CHECK_THREADS).
start_from_environment()
del start_from_environment
