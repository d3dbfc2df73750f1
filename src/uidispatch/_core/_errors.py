"""The exception hierarchy: every error uidispatch raises derives from UIDispatchError."""

from __future__ import annotations

import concurrent.futures

__all__ = [
    "BackendNotFound",
    "CircuitOpen",
    "DispatcherClosed",
    "NoBackendDetected",
    "PluginLoadWarning",
    "QueueFull",
    "TaskCancelled",
    "TaskTimeout",
    "UIDispatchError",
]


class UIDispatchError(Exception):
    """Base class of every uidispatch error."""


class DispatcherClosed(UIDispatchError, RuntimeError):
    """The dispatcher was closed (explicitly, or because its app went away).

    Raised by posting calls after ``close()``, and delivered to every thread that was
    waiting in ``Dispatcher.call()`` when the dispatcher closed.
    """


class BackendNotFound(UIDispatchError, LookupError):
    """No backend of the requested name is installed; the message lists those that are."""


class NoBackendDetected(UIDispatchError, RuntimeError):
    """Auto-detection found no toolkit app, imported toolkit or running asyncio loop."""


class QueueFull(UIDispatchError):
    """``max_pending`` was reached with ``overflow="raise"``."""


class TaskCancelled(UIDispatchError, concurrent.futures.CancelledError):
    """The task was cancelled; raised by ``Task.result()`` and ``check_cancelled()``."""


class TaskTimeout(UIDispatchError, TimeoutError):
    """The task ran past its ``timeout``."""


class CircuitOpen(UIDispatchError):
    """A :class:`~uidispatch.CircuitBreaker` is open: the task failed without running."""


class PluginLoadWarning(UserWarning):
    """A backend plugin failed to load; the other plugins still load."""
