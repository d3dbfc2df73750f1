"""Qt test setup: the offscreen platform, pytest-qt's ``qapp``, and backend fixtures.

``backend`` (a bare :class:`QtBackend`) and ``qt_dispatcher`` (a Dispatcher on it) are
what the shared conformance suite and this package's own tests take.
"""

from __future__ import annotations

import os

# Before Qt is imported anywhere: no display needed, same behaviour on CI and desktops.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# pytest-qt picks its binding (PySide6 first) before any test runs; make it the one the
# session asks for with QT_API (the nox sessions set it), so qapp, qasync and the backend
# all drive one Qt. Read here because conftest loads before pytest-qt configures.
_api = os.environ.get("QT_API", "").strip().lower()
if _api in ("pyside6", "pyqt6", "pyqt5", "pyside2"):
    os.environ.setdefault("PYTEST_QT_API", _api)

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from uidispatch_qt._backend import QtBackend  # noqa: E402
from uidispatch_qt._binding import qt_module  # noqa: E402

import uidispatch as ud  # noqa: E402
from uidispatch.testing import ErrorCollector  # noqa: E402

# Never fixed sleeps: real-loop waits poll a condition up to this long.
WAIT = 10.0

QtWidgets = qt_module("QtWidgets")
"""The QtWidgets of the binding under test (the tests are binding-neutral)."""


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
