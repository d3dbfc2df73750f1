"""The public API is pinned: names, order, and the module they report."""

from __future__ import annotations

import uidispatch as ud

CONTRACT = {
    "BackendInfo",
    "BackendNotFound",
    "CircuitBreaker",
    "CircuitOpen",
    "BusyHandle",
    "DispatchStats",
    "Dispatcher",
    "DispatcherClosed",
    "MainThreadDispatcher",
    "NoBackendDetected",
    "OperationStats",
    "Pool",
    "PoolStats",
    "Priority",
    "QueueFull",
    "RateLimiter",
    "Task",
    "TaskCancelled",
    "TaskState",
    "TaskTimeout",
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
    "shutdown",
    "submit",
    "throttle",
    "use",
}


def test_all_is_sorted_and_complete() -> None:
    assert list(ud.__all__) == sorted(ud.__all__)
    assert set(ud.__all__) >= CONTRACT
    for name in ud.__all__:
        assert hasattr(ud, name), name


def test_public_classes_report_the_public_module() -> None:
    for name in ud.__all__:
        obj = getattr(ud, name)
        if isinstance(obj, type):
            assert obj.__module__ == "uidispatch", name


def test_errors_form_one_hierarchy() -> None:
    import concurrent.futures

    for exc in (
        ud.DispatcherClosed,
        ud.BackendNotFound,
        ud.NoBackendDetected,
        ud.QueueFull,
        ud.CircuitOpen,
        ud.TaskCancelled,
        ud.TaskTimeout,
    ):
        assert issubclass(exc, ud.UIDispatchError)
    assert issubclass(ud.TaskCancelled, concurrent.futures.CancelledError)
    assert issubclass(ud.TaskTimeout, TimeoutError)


def test_priority_lanes() -> None:
    assert [p.name for p in ud.Priority] == ["CRITICAL", "HIGH", "NORMAL", "LOW", "IDLE"]


def test_py_typed_ships() -> None:
    from importlib.resources import files

    assert files("uidispatch").joinpath("py.typed").is_file()
