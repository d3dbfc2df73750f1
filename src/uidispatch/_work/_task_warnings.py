"""``on_warning``: the warnings a task's work raises, routed to the task's callbacks.

Python's warning machinery is process-global: ``warnings.catch_warnings(record=True)``
swaps module attributes for every thread at once, so two tasks (or a task and the app)
using it at the same time see each other's warnings and restore each other's hooks in the
wrong order. Instead one thread-aware ``warnings.showwarning`` hook is installed while any
task with an ``on_warning`` callback is unfinished: a warning shown in a task's own thread
(or coroutine: the task is read from the context variable ``Task.current()`` uses) goes to
that task's callbacks, and every other warning goes to the hook that was there before. The
filters are left alone, so they decide as everywhere which warnings are shown at all
(``"default"``: once per location; ``"error"`` makes one the task's exception).

Whoever replaces ``warnings.showwarning`` after us (``catch_warnings`` does, for its
block) wins; the next attempt of a watching task puts the hook back, and the hook is only
removed while it is still the installed one, so the other's is never clobbered.
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING, Any, TextIO

from .._core._fork import in_child
from ._context import _current

if TYPE_CHECKING:
    from ._task import Task

__all__ = ["ensure", "unwatch", "watch"]

_lock = threading.Lock()
_watching = 0  # unfinished tasks with on_warning callbacks
_previous: Any = None  # the showwarning we stood in front of


def _route(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    task = _current.get()
    if task is not None and task._warning_cbs and not task._resolved:
        task._warned(warnings.WarningMessage(message, category, filename, lineno, file, line))
        return
    previous = _previous
    if previous is None or previous is _route:  # pragma: no cover - uninstalled meanwhile
        previous = warnings._showwarning_orig  # type: ignore[attr-defined]
    previous(message, category, filename, lineno, file, line)


def _install_locked() -> None:
    global _previous
    current = warnings.showwarning
    if current is not _route:
        _previous = current
        warnings.showwarning = _route


def watch(task: Task[Any]) -> None:
    """``task`` got its first ``on_warning`` callback: route warnings until it finishes."""
    global _watching
    with _lock:
        _watching += 1
        _install_locked()


def unwatch() -> None:
    """A watching task finished: the last one puts the previous hook back."""
    global _watching, _previous
    with _lock:
        _watching -= 1
        if _watching == 0:
            if warnings.showwarning is _route:
                warnings.showwarning = _previous
            _previous = None


def ensure() -> None:
    """An attempt of a watching task starts: put the hook back if another replaced it."""
    if warnings.showwarning is _route:
        return
    with _lock:
        if _watching:
            _install_locked()


def _after_fork_in_child() -> None:
    # A thread that did not come along may have held the lock; the count stays: the
    # inherited tasks it counts are failed in the child, and each one's end uncounts it.
    global _lock
    _lock = threading.Lock()


in_child(_after_fork_in_child)
