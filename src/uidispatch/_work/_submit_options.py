"""The options of ``Pool.submit``: checked at the call site, then grouped by what they govern.

``submit`` keeps its options as keywords (its signature is their documentation); here
they become a few groups, each handed on as one object: the retry policy and the
services go to the task's job, the per-key policy to the pool's single-flight table, the
callbacks and the item stream to the task. A concept's own checks live with it
(``if_running=`` in ``_singleflight``, ``on_item=`` in ``_stream``, the services in
``_services``); the others are checked here with the helpers of ``_core._options``.

The checks run in one fixed order, the order in which a call with several bad options
has always reported them (the first one found raises). It interleaves two groups: a bad
``key=`` or ``ttl=`` is reported before a bad callback and a bad ``if_running=`` after
one, so the per-key policy is checked in two steps. Options left at their defaults skip
their checks: ``submit`` is a hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from .._core._options import (
    CALLBACK_WAY_OUT,
    check_callback,
    check_count,
    check_key,
    check_metadata,
    check_priority,
    check_retry_on,
    check_seconds,
)
from .._core._priority import Priority
from ._services import Services, check_services
from ._singleflight import check_if_running
from ._stream import check_stream

__all__ = [
    "Callbacks",
    "ItemOptions",
    "KeyPolicy",
    "RetryPolicy",
    "SubmitOptions",
    "check_options",
]

_NORMAL = Priority.NORMAL

# The groups are not frozen: a frozen dataclass sets each field through
# object.__setattr__, several times slower, and submit is a hot path. Nothing assigns to
# them once made, so a group whose options are all None is one shared instance.


@dataclass(slots=True)
class RetryPolicy:
    """How long a task may take in all, and how its failed attempts are retried."""

    timeout: float | None
    """Seconds from the first start (retries and backoff included) to ``TaskTimeout``."""
    retries: int
    """Extra attempts after a failure."""
    backoff: float
    """The base of the wait before a retry, doubled for each one."""
    retry_on: tuple[type[BaseException], ...]
    """The exception classes that are retried."""


def _check_retry(timeout: Any, retries: Any, backoff: Any, retry_on: Any) -> RetryPolicy:
    """Check ``timeout=``, ``retries=``, ``retry_on=`` and ``backoff=``, in that order."""
    if timeout is not None:
        timeout = check_seconds("timeout", timeout, zero_ok=False)
    if retries != 0 or retry_on is not Exception:
        retries = check_count("retries", retries)
        retry_on = check_retry_on(retry_on)
    else:
        retry_on = (Exception,)
    if backoff != 0.1:
        backoff = check_seconds("backoff", backoff, zero_ok=True)
    return RetryPolicy(timeout, retries, backoff, retry_on)


@dataclass(slots=True)
class KeyPolicy:
    """Per-key concurrency: what a submit does while a task with its key is under way."""

    key: Hashable | None
    """The task's key, or ``None``: no policy applies."""
    if_running: str
    """One of ``_singleflight.POLICIES``."""
    ttl: float | None
    """With ``join`` or ``drop``: how long a task that succeeded is handed out again."""


def _check_key_and_ttl(key: object, ttl: object) -> float | None:
    """The per-key policy's first step: ``key=`` is hashable, ``ttl=`` has a key."""
    if key is not None:
        check_key(key)
    if ttl is None:
        return None
    seconds = check_seconds("ttl", ttl, zero_ok=False)
    if key is None:
        raise ValueError(f"ttl={seconds!r} needs key=: the cached result is found by its key")
    return seconds


@dataclass(slots=True)
class Callbacks:
    """The main-thread callbacks a submit adds to its task, and the widget they serve."""

    on_done: Callable[[Any], object] | None
    on_error: Callable[[BaseException], object] | None
    on_progress: Callable[[Any, str | None], object] | None
    owner: object | None
    """Held weakly by the task; checked when the task is made (it must be weakly referable)."""
    on_start: Callable[[], object] | None = None
    on_finish: Callable[[Any], object] | None = None
    on_warning: Callable[[Any], object] | None = None

    def any(self) -> bool:
        """True when there is a callback to deliver (the pool binds its dispatcher then)."""
        return not (
            self.on_done is None
            and self.on_error is None
            and self.on_progress is None
            and self.on_start is None
            and self.on_finish is None
            and self.on_warning is None
        )


_NO_CALLBACKS = Callbacks(None, None, None, None)


def _check_callbacks(
    on_done: Any,
    on_error: Any,
    on_progress: Any,
    owner: Any,
    on_start: Any,
    on_finish: Any,
    on_warning: Any,
) -> Callbacks:
    """Check the callbacks (plain callables), in the order their errors are reported."""
    if (
        on_done is None
        and on_error is None
        and on_progress is None
        and owner is None
        and on_start is None
        and on_finish is None
        and on_warning is None
    ):
        return _NO_CALLBACKS
    for what, cb in (
        ("on_done", on_done),
        ("on_error", on_error),
        ("on_progress", on_progress),
        ("on_start", on_start),
        ("on_finish", on_finish),
        ("on_warning", on_warning),
    ):
        if cb is not None:
            check_callback(what, cb, CALLBACK_WAY_OUT)
    return Callbacks(on_done, on_error, on_progress, owner, on_start, on_finish, on_warning)


@dataclass(slots=True)
class ItemOptions:
    """Streaming: where the items a task emits go, and how many may wait for the UI."""

    on_item: Callable[[Any], object] | None
    max_buffered: int | None


_NO_ITEMS = ItemOptions(None, None)


@dataclass(slots=True)
class SubmitOptions:
    """Every option of one ``submit`` call, checked, in its groups."""

    priority: Priority
    name: str | None
    metadata: Mapping[str, Any] | None
    retry: RetryPolicy
    keyed: KeyPolicy
    callbacks: Callbacks
    items: ItemOptions
    services: Services
    scope: Any = None
    """A ``ScopeLink`` when an operation submits (set by it, after the checks)."""


def check_options(  # Pool.submit's options, in its order: given by position (cheaper)
    fn: object,
    priority: Any,
    timeout: Any,
    retries: Any,
    backoff: Any,
    retry_on: Any,
    key: Any,
    ttl: Any,
    on_done: Any,
    on_error: Any,
    on_progress: Any,
    owner: Any,
    if_running: Any,
    name: Any,
    metadata: Any,
    on_item: Any,
    max_buffered: Any,
    rate_limiter: Any,
    breaker: Any,
    attempt_timeout: Any,
    on_start: Any = None,
    on_finish: Any = None,
    on_warning: Any = None,
) -> SubmitOptions:
    """Check ``fn`` and the options of ``Pool.submit`` in the order their errors are reported.

    Raises:
        TypeError: see ``Pool.submit``.
        ValueError: see ``Pool.submit``.

    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {fn!r}")
    if priority is not _NORMAL:
        priority = check_priority(priority)
    retry = _check_retry(timeout, retries, backoff, retry_on)
    ttl = _check_key_and_ttl(key, ttl)
    callbacks = _check_callbacks(
        on_done, on_error, on_progress, owner, on_start, on_finish, on_warning
    )
    if if_running != "join":  # the per-key policy's second step
        if_running = check_if_running(if_running, key, ttl)
    if name is not None or metadata is not None:
        check_metadata(name, metadata)
    items = _NO_ITEMS
    if on_item is not None or max_buffered is not None:
        items = ItemOptions(on_item, check_stream(on_item, max_buffered))
    return SubmitOptions(
        priority,
        name,
        metadata,
        retry,
        KeyPolicy(key, if_running, ttl),
        callbacks,
        items,
        check_services(rate_limiter, breaker, attempt_timeout),
    )
