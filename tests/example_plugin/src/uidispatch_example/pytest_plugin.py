"""How the ``example`` backend's toolkit is set up for a test.

The uidispatch pytest plugin's ``dispatcher`` fixture asks the
``pytest_uidispatch_test_app`` hook for each backend; this answers for ``example``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

import uidispatch as ud


@contextlib.contextmanager
def _toy_app() -> Iterator[ud.Dispatcher]:
    from .toyloop import ToyLoop

    loop = ToyLoop()
    try:
        d = ud.get_dispatcher("example", app=loop)
        try:
            yield d
        finally:
            d.close()
    finally:
        loop.close()


@pytest.hookimpl
def pytest_uidispatch_test_app(
    name: str, request: pytest.FixtureRequest
) -> contextlib.AbstractContextManager[ud.Dispatcher] | None:
    """A fresh toy loop per test, closed after it."""
    return _toy_app() if name == "example" else None
