"""Validation of Pool and submit options: bad input fails at the call site, naming the value."""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Mapping
from typing import Any

from ._priority import Priority

__all__ = [
    "ENV_WORKERS",
    "check_count",
    "check_max_workers",
    "check_metadata",
    "check_priority",
    "check_retry_on",
    "check_seconds",
    "check_submit",
    "default_workers",
    "workers_from_env",
]

ENV_WORKERS = "UIDISPATCH_WORKERS"


def default_workers() -> int:
    """``(CPU count x 4) + 1`` with a floor of 12: pool work is mostly I/O-bound."""
    return max(12, (os.cpu_count() or 1) * 4 + 1)


def workers_from_env() -> int | None:
    """The ``UIDISPATCH_WORKERS`` override, or ``None`` when unset or empty.

    Raises:
        ValueError: it is set to anything but a whole number >= 1.

    """
    raw = os.environ.get(ENV_WORKERS)
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(
            f"{ENV_WORKERS} must be a whole number of worker threads >= 1, got {raw!r}; "
            f"fix it or unset it to use the default ({default_workers()})"
        )
    return value


def check_max_workers(value: object) -> int:
    """``max_workers`` must be an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_workers must be an int >= 1 or None, got {value!r}")
    return value


def check_priority(value: object) -> Priority:
    """A :class:`Priority` (or its int value)."""
    if isinstance(value, Priority):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Priority(value)
        except ValueError:
            pass
    names = ", ".join(p.name for p in Priority)
    raise ValueError(f"priority must be a uidispatch.Priority ({names}), got {value!r}")


def check_seconds(name: str, value: object, *, zero_ok: bool) -> float:
    """A finite number of seconds, > 0 (or >= 0 when ``zero_ok``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if math.isnan(value) or math.isinf(value) or value < 0 or (value == 0 and not zero_ok):
        bound = ">= 0" if zero_ok else "> 0"
        raise ValueError(f"{name} must be a finite number of seconds {bound}, got {value!r}")
    return float(value)


def check_count(name: str, value: object, minimum: int = 0) -> int:
    """An int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def check_retry_on(value: object) -> tuple[type[BaseException], ...]:
    """An exception class or a tuple of them."""
    types = value if isinstance(value, tuple) else (value,)
    if not types or not all(isinstance(t, type) and issubclass(t, BaseException) for t in types):
        raise TypeError(f"retry_on must be an exception class or a tuple of them, got {value!r}")
    return types


def check_key(key: Any) -> Hashable:
    """``key`` must be hashable."""
    try:
        hash(key)
    except TypeError:
        raise TypeError(f"key must be hashable, got {key!r}") from None
    return key  # type: ignore[no-any-return]


def check_metadata(name: object, metadata: object) -> None:
    """Validate ``submit``'s ``name=`` and ``metadata=``."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None, got {name!r}")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping (a dict) or None, got {metadata!r}")


def check_submit(
    fn: object,
    priority: Any,
    timeout: Any,
    retries: Any,
    backoff: Any,
    retry_on: Any,
    key: Any,
    ttl: Any,
    *callbacks: object,
) -> tuple[Priority, float | None, int, float, tuple[type[BaseException], ...], float | None]:
    """Validate ``Pool.submit``'s options; return them normalized.

    The defaults skip their checks: ``submit`` is a hot path.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {fn!r}")
    if priority is not Priority.NORMAL:
        priority = check_priority(priority)
    if timeout is not None:
        timeout = check_seconds("timeout", timeout, zero_ok=False)
    if retries != 0 or retry_on is not Exception:
        retries = check_count("retries", retries)
        retry_on = check_retry_on(retry_on)
    else:
        retry_on = (Exception,)
    if backoff != 0.1:
        backoff = check_seconds("backoff", backoff, zero_ok=True)
    if key is not None:
        check_key(key)
    if ttl is not None:
        ttl = check_seconds("ttl", ttl, zero_ok=False)
        if key is None:
            raise ValueError(f"ttl={ttl!r} needs key=: the cached result is found by its key")
    for what, cb in zip(("on_done", "on_error", "on_progress"), callbacks, strict=False):
        if cb is not None and not callable(cb):
            raise TypeError(f"{what} must be callable, got {cb!r}")
    return priority, timeout, retries, backoff, retry_on, ttl
