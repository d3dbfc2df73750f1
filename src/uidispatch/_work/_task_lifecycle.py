"""A task's lifecycle callbacks: ``on_start``, ``on_finish`` and ``on_warning``.

The bodies of :class:`~uidispatch.Task`'s public methods of those names (which keep their
signatures and docstrings on the class, where the reference documents them), and
``warned``, bound in the class body as ``Task._warned``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _task_callbacks, _task_warnings
from ._task_callbacks import UNSET, check_callable, weak

if TYPE_CHECKING:
    from ._task import Task

__all__ = ["add_finish", "add_start", "add_warning", "warned"]


def _entry(self: Task[Any], name: str, callback: Callable[..., object], owner: object) -> Any:
    check_callable(name, callback)
    _task_callbacks.bind_now(self)
    return (callback, self._owner if owner is UNSET else weak(owner))


def add_start(self: Task[Any], callback: Callable[[], object], owner: object) -> None:
    """``task.on_start(callback, owner=owner)``: kept until the first attempt starts."""
    entry = _entry(self, "on_start", callback, owner)
    with self._lock:
        waiting = self._start_cbs
        if waiting is not None:  # not started yet, or never will be
            if not self._resolved:
                waiting.append(entry)
            return
    self._post(callback, owner=entry[1])


def add_finish(self: Task[Any], callback: Callable[[Any], object], owner: object) -> None:
    """``task.on_finish(callback, owner=owner)``: delivered with the outcome, or now."""
    entry = _entry(self, "on_finish", callback, owner)
    with self._lock:
        if not self._resolved:
            self._finish_cbs.append(entry)
            return
    self._deliver([entry], self)


def add_warning(
    self: Task[Any], callback: Callable[[warnings.WarningMessage], object], owner: object
) -> None:
    """``task.on_warning(callback, owner=owner)``: the first one starts the watch."""
    entry = _entry(self, "on_warning", callback, owner)
    host = self._host
    if host is not None and not host._supports_progress:
        raise ValueError(host._no_warnings_message())
    with self._lock:
        if not self._resolved:
            if not self._warning_cbs:
                _task_warnings.watch(self)
            self._warning_cbs = (*self._warning_cbs, entry)


def warned(self: Task[Any], message: warnings.WarningMessage) -> None:
    """Post a warning the work showed to the ``on_warning`` callbacks (its thread)."""
    for cb, owner in self._warning_cbs:
        self._post(cb, message, owner=owner)
