"""Priority lanes of the main-thread queue."""

from __future__ import annotations

import enum

__all__ = ["Priority"]


class Priority(enum.IntEnum):
    """How urgently a main-thread call should run.

    The drain always takes the highest non-empty lane, FIFO within a lane, so the
    order of one producer's calls holds within a priority. ``IDLE`` entries run only
    when no other lane has work.
    """

    CRITICAL = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3
    IDLE = 4
