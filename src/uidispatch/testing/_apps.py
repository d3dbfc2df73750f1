"""How each known backend's toolkit is set up for one test (the built-in "test apps").

Each entry is a context manager factory taking the pytest ``request`` and yielding a
dispatcher bound to a fresh (or the process's one) toolkit app, torn down afterwards.
Third-party backends add theirs through the ``pytest_uidispatch_test_app`` hook.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import uidispatch as ud

from ._display import ensure_display

if TYPE_CHECKING:
    import pytest

__all__ = ["BUILTIN_APPS", "default_app", "open_test_app"]

TestApp = Callable[["pytest.FixtureRequest"], AbstractContextManager[ud.Dispatcher]]


def open_test_app(
    name: str, request: pytest.FixtureRequest
) -> AbstractContextManager[ud.Dispatcher]:
    """Set up backend ``name``'s toolkit for one test, as the ``dispatcher`` fixture does.

    Returns a context manager yielding a :class:`uidispatch.Dispatcher` bound to the
    toolkit's app; on exit the dispatcher is closed and the toolkit torn down. Asks the
    ``pytest_uidispatch_test_app`` hook (plugins and ``conftest.py`` first, then the
    built-in setups) and falls back to ``uidispatch.get_dispatcher(name)``. Call it on
    the test's thread, which becomes the main thread.

    Raises:
        ImportError: the toolkit cannot be imported (on entering the context).
        uidispatch.BackendNotFound: no backend ``name`` is installed (on entering).

    """
    cm: AbstractContextManager[ud.Dispatcher] | None = (
        request.config.hook.pytest_uidispatch_test_app(name=name, request=request)
    )
    return cm if cm is not None else default_app(name)


@contextlib.contextmanager
def default_app(name: str) -> Iterator[ud.Dispatcher]:
    """``get_dispatcher(name)`` bound to the backend's current app, closed afterwards."""
    d = ud.get_dispatcher(name)
    try:
        yield d
    finally:
        d.close()


@contextlib.contextmanager
def _virtual(request: pytest.FixtureRequest) -> Iterator[ud.Dispatcher]:
    with default_app("virtual") as d:
        yield d


@contextlib.contextmanager
def _asyncio(request: pytest.FixtureRequest) -> Iterator[ud.Dispatcher]:
    import asyncio

    # A fresh loop per test, never the thread's "current" one: no state leaks between tests.
    loop = asyncio.new_event_loop()
    try:
        d = ud.get_dispatcher("asyncio", app=loop)
        try:
            yield d
        finally:
            d.close()
    finally:
        loop.close()


@contextlib.contextmanager
def _tk(request: pytest.FixtureRequest) -> Iterator[ud.Dispatcher]:
    ensure_display()
    import tkinter

    root: Any = tkinter.Tk()
    try:
        d = ud.get_dispatcher("tk", app=root)
        try:
            yield d
        finally:
            d.close()
    finally:
        with contextlib.suppress(tkinter.TclError):  # a test may have destroyed it already
            root.destroy()
        # Free the interpreter here, on the main thread: a Tk interpreter freed by the
        # collector on a worker thread aborts the process (Tcl_AsyncDelete).
        del root
        gc.collect()


@contextlib.contextmanager
def _qt(request: pytest.FixtureRequest) -> Iterator[ud.Dispatcher]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if request.config.pluginmanager.hasplugin("pytest-qt"):
        # pytest-qt owns the process's one QApplication; share it with the user's tests.
        app = request.getfixturevalue("qapp")
    else:
        # The binding the qt plugin chose (PySide6, PyQt6, ...): its one required module.
        binding = ud.backends()["qt"].requires[0]
        widgets: Any = importlib.import_module(f"{binding}.QtWidgets")
        app = widgets.QApplication.instance() or widgets.QApplication([])
    d = ud.get_dispatcher("qt", app=app)
    try:
        yield d
    finally:
        d.close()


@contextlib.contextmanager
def _kivy(request: pytest.FixtureRequest) -> Iterator[ud.Dispatcher]:
    # Kivy reads these at import: no argv parsing (pytest's flags are not Kivy's), no log
    # files in the home directory.
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    with default_app("kivy") as d:
        yield d


@contextlib.contextmanager
def _pygame(request: pytest.FixtureRequest) -> Iterator[ud.Dispatcher]:
    # SDL reads these at init: no window system, no sound card, no banner on stdout.
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    pygame.init()
    try:
        pygame.display.set_mode((64, 64))
        with default_app("pygame") as d:
            yield d
    finally:
        pygame.quit()


@contextlib.contextmanager
def _textual(request: pytest.FixtureRequest) -> Iterator[ud.Dispatcher]:
    import asyncio

    from textual.app import App

    # A headless app run by run_test() in one task of a loop of our own, left running between
    # the test's turns: every turn of that loop (run_loop, process_events) runs the app.
    loop = asyncio.new_event_loop()
    app: Any = App()
    started = loop.create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        async with app.run_test(headless=True):
            started.set_result(None)
            await stop.wait()

    holder = loop.create_task(hold())
    try:
        loop.run_until_complete(asyncio.wait([started, holder], return_when="FIRST_COMPLETED"))
        if holder.done():
            holder.result()  # the app failed to start: raise why
        d = ud.get_dispatcher("textual", app=app)
        try:
            yield d
        finally:
            d.close()
    finally:
        try:
            stop.set()
            loop.run_until_complete(holder)
        finally:
            loop.close()


@contextlib.contextmanager
def _gtk(request: pytest.FixtureRequest) -> Iterator[ud.Dispatcher]:
    ensure_display()
    import gi  # type: ignore[import-untyped,import-not-found,unused-ignore]

    gi.require_version("Gtk", "3.0")
    from gi.repository import Gtk  # type: ignore[import-untyped,import-not-found,unused-ignore]

    window: Any = Gtk.Window(title="uidispatch test")
    try:
        d = ud.get_dispatcher("gtk", app=window)  # closes with the window
        try:
            yield d
        finally:
            d.close()
    finally:
        window.destroy()


BUILTIN_APPS: dict[str, TestApp] = {
    "virtual": _virtual,
    "asyncio": _asyncio,
    "tk": _tk,
    "qt": _qt,
    "kivy": _kivy,
    "pygame": _pygame,
    "textual": _textual,
    "gtk": _gtk,
}
"""Test setup for the backends uidispatch maintains, keyed by backend name."""
