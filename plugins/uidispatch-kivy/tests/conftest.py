"""Kivy test setup: Kivy's environment before Kivy is imported, and the shared fixtures.

Kivy reads its environment once, at import: no command-line parsing (pytest's argv is
not Kivy's), no console or file log, and a throwaway ``KIVY_HOME`` so no test reads or
writes the user's Kivy config.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

_KIVY_HOME = tempfile.mkdtemp(prefix="uidispatch-kivy-home-")
KIVY_ENV = {
    "KIVY_NO_ARGS": "1",
    "KIVY_NO_CONSOLELOG": "1",
    "KIVY_NO_FILELOG": "1",
    "KIVY_HOME": _KIVY_HOME,
}
os.environ.update(KIVY_ENV)

import uidispatch as ud  # noqa: E402
from uidispatch.testing import ErrorCollector  # noqa: E402


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_KIVY_HOME, ignore_errors=True)


@pytest.fixture
def backend() -> Iterator[Any]:
    """A fresh ``KivyBackend`` bound to Kivy's Clock, closed after the test."""
    from uidispatch_kivy import create

    b = create(None)
    yield b
    b.close()


@pytest.fixture
def dispatcher(backend: Any) -> Iterator[ud.Dispatcher]:
    """A ``Dispatcher`` on the real Kivy Clock; fails the test on a swallowed callback error."""
    d = ud.Dispatcher(backend)
    collector = ErrorCollector()
    d.error_handler = collector
    yield d
    d.close()
    if d.error_handler is collector and collector.errors:
        errors = "; ".join(f"{cb!r}: {exc!r}" for exc, cb in collector.errors)
        pytest.fail(f"uncaught exceptions in main-thread callbacks: {errors}")


@pytest.fixture(scope="session")
def display() -> str:
    """A usable X display (Xvfb started when ``DISPLAY`` is unset), for Kivy windows."""
    from uidispatch.testing import ensure_display

    try:
        return ensure_display()
    except RuntimeError as exc:
        pytest.skip(f"no display for a Kivy window: {exc}")


@pytest.fixture
def window(display: str) -> Any:
    """Kivy's window (created on first use; Kivy has one per process)."""
    from kivy.core.window import Window

    if Window is None:
        pytest.skip("Kivy could not create a window on this display")
    return Window
