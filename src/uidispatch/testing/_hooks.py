"""The pytest hook a backend's test setup plugs into (registered by the uidispatch plugin)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .. import Dispatcher


@pytest.hookspec(firstresult=True)
def pytest_uidispatch_test_app(
    name: str, request: pytest.FixtureRequest
) -> AbstractContextManager[Dispatcher] | None:
    """Set up backend ``name``'s toolkit for one test: return a context manager or ``None``.

    The context manager starts what the toolkit needs (a display, a root window, an
    application object, a fresh loop), yields a :class:`uidispatch.Dispatcher` bound to
    it, and on exit closes the dispatcher and tears the toolkit down. Return ``None`` for
    backends you do not know: the next implementation is asked, and the built-in ones
    (``virtual``, ``asyncio``, ``tk``, ``qt``, ``kivy``, ``pygame``, ``textual``,
    ``gtk``) answer last, so an implementation
    in a plugin or a ``conftest.py`` overrides them. A backend nobody answers for gets
    ``uidispatch.get_dispatcher(name)``, closed after the test.

    Called on the test's thread, which becomes the backend's main thread.
    """
