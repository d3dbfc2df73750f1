"""Test helpers for apps and backends built on uidispatch.

Installed as a pytest plugin (``pytest11`` entry point ``uidispatch``) providing the
``dispatcher`` fixture (every installed backend, each toolkit set up for the test), the
``virtual_dispatcher`` fixture (virtual time) and the ``pytest_uidispatch_test_app`` hook
through which a third-party backend sets up its toolkit. :func:`wait_until` pumps a
dispatcher until a condition holds, with a timeout, never a fixed sleep. The backend
conformance suite lives in :mod:`uidispatch.testing.conformance`.

Importing this package does not import pytest or any toolkit.
"""

from __future__ import annotations

from ._apps import open_test_app
from ._display import ensure_display
from ._errors import ErrorCollector
from ._stderr import dev_mode_stderr
from ._wait import wait_until

__all__ = ["ErrorCollector", "dev_mode_stderr", "ensure_display", "open_test_app", "wait_until"]
