"""Waiting on a condition while the main loop runs."""

from __future__ import annotations

from collections.abc import Callable

from .. import Dispatcher

__all__ = ["wait_until"]


def wait_until(
    dispatcher: Dispatcher, predicate: Callable[[], object], timeout: float = 5.0, what: str = ""
) -> None:
    """Pump ``dispatcher``'s loop until ``predicate()`` is true; fail after ``timeout`` seconds.

    Main thread only. Raises ``AssertionError`` naming ``what`` (or the predicate) on timeout.
    """
    if not dispatcher.run_until(predicate, timeout):
        raise AssertionError(f"timed out after {timeout} s waiting for {what or repr(predicate)}")
