from __future__ import annotations

import contextlib
import gc
import subprocess
import sys
import tkinter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import uidispatch as ud
from uidispatch.testing import ErrorCollector, ensure_display


@pytest.fixture(scope="session", autouse=True)
def _display() -> str:
    """A real X display for the whole session: Xvfb when DISPLAY is unset (apt: xvfb)."""
    return ensure_display()


@pytest.fixture(autouse=True)
def _no_default_leaks() -> Iterator[None]:
    ud.use(None)
    yield
    ud.use(None)
    # Free destroyed interpreters here, on the main thread: a Tk interpreter freed by the
    # collector on a worker thread aborts the process (BASELINES.md, Tk hazards).
    gc.collect()


@pytest.fixture
def run_script() -> Callable[..., str]:
    """Run a Python script in a fresh process; assert it exits with 0; return its stdout.

    For what only a whole process shows: an abort at exit, a hang, a crash at interpreter
    teardown. ``argv`` becomes the script's ``sys.argv[1:]``. The assertion carries the end
    of the script's stderr.
    """

    def run(script: str, timeout: float = 60, *argv: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=timeout
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout

    return run


def _destroy(root: tkinter.Misc) -> None:
    with contextlib.suppress(tkinter.TclError):
        root.destroy()


@pytest.fixture
def make_root() -> Iterator[Callable[[], tkinter.Tk]]:
    """A factory of mapped Tk roots, each destroyed (if still alive) after the test."""
    roots: list[tkinter.Tk] = []

    def make() -> tkinter.Tk:
        root = tkinter.Tk()
        root.geometry("200x100")
        root.update()
        roots.append(root)
        return root

    yield make
    for root in reversed(roots):
        _destroy(root)
    roots.clear()


@pytest.fixture
def root(make_root: Callable[[], tkinter.Tk]) -> tkinter.Tk:
    """A fresh, mapped Tk root (the default root when no other exists)."""
    return make_root()


@pytest.fixture
def tk_dispatcher(root: tkinter.Tk) -> Iterator[ud.Dispatcher]:
    """``get_dispatcher("tk", app=root)``; the test fails if a callback raised unclaimed."""
    d = ud.get_dispatcher("tk", app=root)
    collector = ErrorCollector()
    d.error_handler = collector
    yield d
    d.close()
    if d.error_handler is collector and collector.errors:
        errors = "; ".join(f"{cb!r}: {exc!r}" for exc, cb in collector.errors)
        pytest.fail(f"uncaught exceptions in main-thread callbacks: {errors}")


Mainloop = Callable[..., bool]


@pytest.fixture
def mainloop() -> Mainloop:
    """``mainloop(root, until, timeout=10)``: run ``root.mainloop()`` until ``until()`` holds.

    Checked every 5 ms through C-level Tcl timers (no Tcl command that a destroyed root
    could leave dangling); returns ``until()``'s final value as a bool.
    """

    def run(root: tkinter.Misc, until: Callable[[], object], timeout: float = 10.0) -> bool:
        tkapp = root.tk
        tokens: list[Any] = []

        def check() -> None:
            if until():
                root.quit()
            else:
                tokens.append(tkapp.createtimerhandler(5, check))

        tokens.append(tkapp.createtimerhandler(0, check))
        tokens.append(tkapp.createtimerhandler(int(timeout * 1000), root.quit))
        try:
            root.mainloop()
        finally:
            for token in tokens:
                token.deletetimerhandler()
        return bool(until())

    return run
