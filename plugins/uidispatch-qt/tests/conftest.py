"""Qt test setup: the offscreen platform, pytest-qt's ``qapp``, and backend fixtures.

``backend`` (a bare :class:`QtBackend`) and ``qt_dispatcher`` (a Dispatcher on it) are
what the shared conformance suite and this package's own tests take.
"""

from __future__ import annotations

import os

# Before Qt is imported anywhere: no display needed, same behaviour on CI and desktops.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from uidispatch_qt._backend import QtBackend

import uidispatch as ud
from uidispatch.testing import ErrorCollector

# Never fixed sleeps: real-loop waits poll a condition up to this long.
WAIT = 10.0


@pytest.fixture
def backend(qapp: object) -> Iterator[QtBackend]:
    """A fresh backend on pytest-qt's application, closed after the test."""
    b = QtBackend(qapp)  # type: ignore[arg-type]
    yield b
    b.close()


@pytest.fixture
def qt_dispatcher(qapp: object) -> Iterator[ud.Dispatcher]:
    """The ``qt`` dispatcher bound to ``qapp``, the process default during the test.

    Fails the test if a callback raised and the test did not claim it with
    ``d.error_handler.take()``.
    """
    d = ud.get_dispatcher("qt", app=qapp)
    collector = ErrorCollector()
    d.error_handler = collector
    ud.use(d)
    try:
        yield d
    finally:
        ud.use(None)
        d.close()
    if collector.errors:
        pytest.fail(f"uncaught exceptions in main-thread callbacks: {collector.errors!r}")
