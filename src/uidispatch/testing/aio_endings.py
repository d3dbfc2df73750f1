"""Every way an ``aio.run_app`` run ends, on a real toolkit, for asyncio and trio.

A backend with the optional ``AppWindow`` capability promises that ``aio.run_app(main)``
ends as ``main`` ended, whichever way it ends: ``main`` returns or raises, the user asks
to close the window, Ctrl-C arrives (a real SIGINT), or the app ends its window itself.
Each time the window is gone afterwards, Python's SIGINT handler and wakeup fd are given
back, and a ``python -X dev`` process says nothing on stderr (no "guest run abandoned", no
unawaited coroutine, no ``set_wakeup_fd`` error). This module runs every (lib, ending)
in one child process, where what only a whole process shows is seen, and checks it.

A toolkit supplies ``WINDOW`` code defining ``class Window(EndingWindow)`` (the base class
is the child's own; see :data:`TK_WINDOW`): its ``__init__`` makes a window with a
label (one per case, after the previous case ended) and these methods:

- ``set_text(text)``: set the label's text (the coroutine updates it each step);
- ``request_close()``: ask to close the window the way the window manager does;
- ``destroy()``: end the window as an app does itself, without a close request;
- ``alive() -> bool``: whether the window is still there (never raises);
- ``later(ms, fn)``: run ``fn()`` on the UI loop after ``ms`` milliseconds;
- optionally ``app``: the object passed as ``aio.run_app(..., app=app)`` (default None).

Top-level code in ``WINDOW`` runs once before the cases (make a ``QApplication`` there).
An extra ending ``NAME`` is a method ``end_NAME(self)`` that the coroutine calls after
its updates (then it sleeps until cancelled); give its :class:`Expected` to the checks.
In a backend's tests::

    from uidispatch.testing import aio_endings

    @pytest.fixture(scope="module")
    def endings_report() -> aio_endings.EndingsReport:
        return aio_endings.run_endings(WINDOW)

    @pytest.mark.parametrize("lib", aio_endings.LIBS)
    @pytest.mark.parametrize("ending", aio_endings.ENDINGS)
    def test_run_app_ends_as_main_ended(endings_report, lib, ending):
        aio_endings.assert_ended_as_expected(endings_report, lib, ending)

    def test_no_run_leaves_a_warning_or_an_error_on_stderr(endings_report):
        aio_endings.assert_quiet_stderr(endings_report)

Importing this module imports neither pytest nor any toolkit.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._stderr import dev_mode_stderr

__all__ = [
    "ENDINGS",
    "EXPECTED",
    "LIBS",
    "TK_WINDOW",
    "UPDATES",
    "EndingsReport",
    "Expected",
    "assert_ended_as_expected",
    "assert_quiet_stderr",
    "child_script",
    "run_endings",
]

LIBS: list[str] = (
    ["asyncio", "trio"] if importlib.util.find_spec("trio") is not None else ["asyncio"]
)
"""The guest libraries to test here: ``"asyncio"``, and ``"trio"`` when it is installed."""

ENDINGS: list[str] = [
    "return",
    "raise",
    "raise_keyboard_interrupt",
    "close_request",
    "ctrl_c",
    "destroy_in_coroutine",
    "destroy_in_callback",
]
"""The endings every ``AppWindow`` backend must pass, by name.

``return``/``raise``/``raise_keyboard_interrupt``: ``main`` returns ``n``, raises
``ValueError``, raises ``KeyboardInterrupt``; ``close_request``: ``request_close()`` runs
from the UI loop 10 ms later; ``ctrl_c``: a thread sends the process a real SIGINT;
``destroy_in_coroutine``: ``main`` calls ``destroy()``; ``destroy_in_callback``:
``destroy()`` runs from the UI loop 10 ms later. Except on ``return``, ``main`` then
sleeps until its run cancels it.
"""

UPDATES = 5
"""How many times ``main`` sets the label's text (and awaits) before its ending."""


@dataclass(frozen=True)
class Expected:
    """What one ending must produce.

    ``outcome`` is ``["value", v]`` (``run_app`` returned ``v``) or ``["raised", name]``
    (it raised an exception of that class name). ``finally_with_window`` is whether the
    window was still there when ``main``'s ``finally`` ran (``None``: not checked).
    """

    outcome: tuple[str, Any]
    finally_with_window: bool | None = None


EXPECTED: dict[str, Expected] = {
    "return": Expected(("value", UPDATES)),
    "raise": Expected(("raised", "ValueError")),
    "raise_keyboard_interrupt": Expected(("raised", "KeyboardInterrupt")),
    # main is cancelled while its window is still there; the window closes afterwards
    "close_request": Expected(("value", None), finally_with_window=True),
    "ctrl_c": Expected(("raised", "KeyboardInterrupt")),
    # the app ended its window first: main is cancelled once the loop has returned
    "destroy_in_coroutine": Expected(("value", None), finally_with_window=False),
    "destroy_in_callback": Expected(("value", None), finally_with_window=False),
}
"""Each ending of :data:`ENDINGS` and what it must produce."""

TK_WINDOW = """
import tkinter


class Window(EndingWindow):
    def __init__(self):
        self.root = tkinter.Tk()
        self.label = tkinter.Label(self.root, text="-")
        self.label.pack()

    def set_text(self, text):
        self.label["text"] = text

    def request_close(self):
        self.root.tk.call(self.root.protocol("WM_DELETE_WINDOW"))  # the window manager's

    def destroy(self):
        self.root.destroy()

    def alive(self):
        try:
            return bool(self.root.winfo_exists())
        except tkinter.TclError:
            return False

    def later(self, ms, fn):
        self.root.after(ms, fn)
"""
"""The ``WINDOW`` code for Tk: one root per case, with a label."""

_REPORT = "AIO-ENDINGS-CASE "  # each case's line on the child's stdout starts with it

_CHILD = r'''
import json, os, signal, sys, threading
from uidispatch import aio

# Ctrl-C is part of what is tested: start with Python's own SIGINT handler, as an app run
# from a terminal does, even when the parent ignores SIGINT (a background job inherits
# SIG_IGN, and Python then leaves it ignored).
signal.signal(signal.SIGINT, signal.default_int_handler)

LIBS = json.loads(sys.argv[1])
ENDINGS = json.loads(sys.argv[2])
UPDATES = int(sys.argv[3])
REPORT = sys.argv[4]


class EndingWindow:
    """The toolkit's window for one case (the toolkit's ``Window`` subclasses it)."""

    app = None

    def end_close_request(self):
        self.later(10, self.request_close)

    def end_destroy_in_coroutine(self):
        self.destroy()

    def end_destroy_in_callback(self):
        self.later(10, self.destroy)


# ---- the toolkit's code
@WINDOW@
# ----


def run_case(lib, ending):
    if lib == "trio":
        import trio
        sleep = trio.sleep
    else:
        import asyncio
        sleep = asyncio.sleep
    window = Window()
    seen = {"finally_with_window": None, "updates": 0, "on_ui_thread": True}
    ui = threading.get_ident()

    async def main(n):
        try:
            for i in range(n):
                window.set_text(str(i))
                seen["updates"] += 1
                seen["on_ui_thread"] &= threading.get_ident() == ui
                await sleep(0.001)
            if ending == "raise":
                raise ValueError("boom")
            if ending == "raise_keyboard_interrupt":
                raise KeyboardInterrupt
            if ending == "ctrl_c":
                threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT)).start()
            elif ending != "return":
                getattr(window, "end_" + ending)()
            if ending != "return":
                await sleep(3600)
            return n
        finally:
            seen["finally_with_window"] = window.alive()

    try:
        outcome = ["value", aio.run_app(main, UPDATES, lib=lib, app=window.app)]
    except BaseException as exc:
        outcome = ["raised", type(exc).__name__]
    return {
        "outcome": outcome,
        "window_alive_after": window.alive(),
        "sigint_default": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
        "wakeup_fd": signal.set_wakeup_fd(-1),
        **seen,
    }


for lib in LIBS:
    for ending in ENDINGS:
        case = run_case(lib, ending)
        print(REPORT + json.dumps([f"{lib}-{ending}", case]), flush=True)
'''


def child_script(window: str) -> str:
    """The child's Python source with the toolkit's ``WINDOW`` code in place.

    Run it as ``python -X dev -c SCRIPT LIBS_JSON ENDINGS_JSON UPDATES REPORT_PREFIX``;
    :func:`run_endings` does.
    """
    return _CHILD.replace("@WINDOW@", window)


@dataclass
class EndingsReport:
    """What the child reported: per ``"lib-ending"`` its observations, and its stderr."""

    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    stderr: str = ""


def run_endings(
    window: str,
    *,
    libs: Sequence[str] = LIBS,
    endings: Iterable[str] = ENDINGS,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> EndingsReport:
    """Run every (lib, ending) in one ``python -X dev`` child with the toolkit's ``WINDOW`` code.

    ``env`` is added to this process's environment for the child (a display, a Qt
    platform). The child must exit 0 within ``timeout`` seconds.

    Raises:
        AssertionError: the child failed or timed out (with the cases it finished and the
            end of its stderr).

    """
    endings = list(endings)
    argv = [
        sys.executable,
        "-X",
        "dev",
        "-c",
        child_script(window),
        json.dumps(list(libs)),
        json.dumps(endings),
        str(UPDATES),
        _REPORT,
    ]
    child_env = None if env is None else {**os.environ, **env}
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=child_env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out, err = _text(exc.stdout), _text(exc.stderr)
        done = list(_parse(out).cases)
        why = f"the endings child did not finish within {timeout} s; finished: {done}"
        raise AssertionError(f"{why}\n{err[-3000:]}") from None
    if proc.returncode != 0:
        raise AssertionError(
            f"the endings child exited with {proc.returncode}:\n{proc.stderr[-3000:]}"
        )
    report = _parse(proc.stdout)
    report.stderr = proc.stderr
    missing = [f"{lib}-{e}" for lib in libs for e in endings if f"{lib}-{e}" not in report.cases]
    if missing:
        raise AssertionError(f"the endings child reported no {missing}:\n{proc.stderr[-3000:]}")
    return report


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def _parse(stdout: str) -> EndingsReport:
    report = EndingsReport()
    for line in stdout.splitlines():
        if line.startswith(_REPORT):
            name, case = json.loads(line[len(_REPORT) :])
            report.cases[name] = case
    return report


def assert_ended_as_expected(
    report: EndingsReport,
    lib: str,
    ending: str,
    expected: Mapping[str, Expected] = EXPECTED,
) -> None:
    """Fail unless the (lib, ending) case ended as ``expected[ending]`` says, and cleanly.

    Checked: ``run_app``'s outcome; the label was set :data:`UPDATES` times, each on the
    UI thread; the window is gone after ``run_app``; the SIGINT handler is Python's
    default again and no wakeup fd is left; and, when the :class:`Expected` says, whether
    the window was still there when ``main``'s ``finally`` ran.
    """
    case = report.cases[f"{lib}-{ending}"]
    want = expected[ending]
    assert case["outcome"] == list(want.outcome), case
    assert case["updates"] == UPDATES, case  # the coroutine updated the widget each step
    assert case["on_ui_thread"] is True, case
    assert case["window_alive_after"] is False, case  # the window closes once main finished
    assert case["sigint_default"] is True, case  # Ctrl-C handling is given back
    assert case["wakeup_fd"] == -1, case  # and no wakeup fd is left behind
    if want.finally_with_window is not None:
        assert case["finally_with_window"] is want.finally_with_window, case


def assert_quiet_stderr(report: EndingsReport) -> None:
    """Fail unless the child's stderr is empty (less asyncio's slow-callback lines)."""
    stderr = dev_mode_stderr(report.stderr)
    assert stderr == "", stderr[-3000:]
