"""The main_thread decorator (placeholder, being implemented)."""

from __future__ import annotations

from typing import Any

__all__ = ["main_thread"]


def main_thread(*args: Any, **kwargs: Any) -> Any:
    """Run on the main thread (placeholder)."""
    raise NotImplementedError
