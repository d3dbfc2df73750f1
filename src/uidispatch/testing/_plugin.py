"""The uidispatch pytest plugin (registered through the ``pytest11`` entry point)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .._dispatcher import Dispatcher
from .._registry import get_dispatcher
from ._errors import ErrorCollector


@pytest.fixture
def virtual_dispatcher() -> Iterator[Dispatcher]:
    """A fresh dispatcher on the ``virtual`` backend (virtual time), closed after the test.

    Its main thread is the test's thread; move time with ``d.backend.advance(seconds)``.
    The test fails if a callback raised and the test did not claim the error with
    ``d.error_handler.take()`` (or install its own handler).
    """
    d = get_dispatcher("virtual")
    collector = ErrorCollector()
    d.error_handler = collector
    yield d
    d.close()
    if d.error_handler is collector and collector.errors:
        errors = "; ".join(f"{cb!r}: {exc!r}" for exc, cb in collector.errors)
        pytest.fail(f"uncaught exceptions in main-thread callbacks: {errors}")
