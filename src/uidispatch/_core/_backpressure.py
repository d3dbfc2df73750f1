"""The drain options ``Dispatcher.configure`` sets (budget and backpressure), checked."""

from __future__ import annotations

import math
from typing import Any

from ._options import check_seconds, show_number
from ._queue import OVERFLOW_POLICIES

__all__ = ["UNSET", "check_drain_options"]

UNSET: Any = object()  # an option configure() was not given: it keeps its value


def check_drain_options(budget: float, max_pending: int | None, overflow: str) -> float:
    """Check every option before ``configure()`` sets any; ``budget`` back in seconds.

    An ``UNSET`` option passes (an unset ``budget`` comes back as ``UNSET``).

    Raises:
        ValueError: naming the option and the bad value.

    """
    if budget is not UNSET:
        try:
            budget = check_seconds("budget", budget, zero_ok=False)
        except (TypeError, ValueError):
            raise ValueError(
                f"budget must be a positive number of seconds, got {show_number(budget)}"
                + (" (finite: a drain must yield to the loop)" if budget == math.inf else "")
            ) from None
    if (
        max_pending is not UNSET
        and max_pending is not None
        and (isinstance(max_pending, bool) or not isinstance(max_pending, int) or max_pending < 1)
    ):
        raise ValueError(f"max_pending must be None or an int >= 1, got {max_pending!r}")
    if overflow is not UNSET and overflow not in OVERFLOW_POLICIES:
        raise ValueError(
            f"overflow must be one of {', '.join(map(repr, OVERFLOW_POLICIES))}, got {overflow!r}"
        )
    return budget
