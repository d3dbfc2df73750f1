"""throttle and debounce (placeholder, being implemented)."""

from __future__ import annotations

from typing import Any

__all__ = ["debounce", "throttle"]


def throttle(*args: Any, **kwargs: Any) -> Any:
    """Throttle (placeholder)."""
    raise NotImplementedError


def debounce(*args: Any, **kwargs: Any) -> Any:
    """Debounce (placeholder)."""
    raise NotImplementedError
