"""Pool: the priority worker pool (placeholder, being implemented)."""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from typing import Any

__all__ = ["Pool", "PoolStats", "submit"]


@dataclass(frozen=True)
class PoolStats:
    """Counters of a Pool (placeholder)."""


class Pool(concurrent.futures.Executor):
    """A worker pool (placeholder)."""


def submit(fn: Any, /, *args: Any, **options: Any) -> Any:
    """Submit to the default pool (placeholder)."""
    raise NotImplementedError
