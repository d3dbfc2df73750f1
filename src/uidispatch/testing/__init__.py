"""Test helpers for apps and backends built on uidispatch.

Installed as a pytest plugin (``pytest11`` entry point ``uidispatch``), which provides the
``virtual_dispatcher`` fixture. :func:`wait_until` pumps a dispatcher until a condition
holds, with a timeout, never a fixed sleep.
"""

from __future__ import annotations

from ._display import ensure_display
from ._errors import ErrorCollector
from ._wait import wait_until

__all__ = ["ErrorCollector", "ensure_display", "wait_until"]
