"""uidispatch.aio on a real Tk root: run_app and every way a run ends, asyncio and trio.

Every ending runs in one child process (a fresh interpreter shows what only a whole
process shows: warnings at teardown, a SIGINT, an abandoned guest run), one root per
case; the tests below read its report. Ctrl-C is a real SIGINT sent to the child.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tkinter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import uidispatch as ud
from uidispatch import aio
from uidispatch.testing import dev_mode_stderr

HAS_TRIO = importlib.util.find_spec("trio") is not None
LIBS = ["asyncio", "trio"] if HAS_TRIO else ["asyncio"]
ENDINGS = [
    "return",
    "raise",
    "raise_keyboard_interrupt",
    "close_request",
    "ctrl_c",
    "destroy_in_coroutine",
    "destroy_in_callback",
]

CHILD = r"""
import json, os, signal, sys, threading, tkinter
from uidispatch import aio

libs = json.loads(sys.argv[1])
endings = json.loads(sys.argv[2])
report = {}

for lib in libs:
    if lib == "trio":
        import trio
        sleep = trio.sleep
    else:
        import asyncio
        sleep = asyncio.sleep
    for ending in endings:
        root = tkinter.Tk()
        root.geometry("120x60")
        label = tkinter.Label(root, text="-")
        label.pack()
        seen = {"finally_with_window": None, "updates": 0}
        started = threading.Event()

        def request_close():
            root.tk.call(root.protocol("WM_DELETE_WINDOW"))  # what the window manager does

        async def main(n):
            started.set()
            try:
                for i in range(n):
                    label["text"] = str(i)
                    seen["updates"] += 1
                    await sleep(0.001)
                if ending == "raise":
                    raise ValueError("boom")
                if ending == "raise_keyboard_interrupt":
                    raise KeyboardInterrupt
                if ending == "close_request":
                    root.after(10, request_close)
                if ending == "destroy_in_coroutine":
                    root.destroy()
                if ending == "destroy_in_callback":
                    root.after(10, root.destroy)
                if ending == "ctrl_c":
                    threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT)).start()
                if ending != "return":
                    await sleep(3600)
                return n
            finally:
                try:
                    seen["finally_with_window"] = bool(root.winfo_exists())
                except tkinter.TclError:
                    seen["finally_with_window"] = False

        try:
            outcome = ["value", aio.run_app(main, 5, lib=lib)]
        except BaseException as exc:
            outcome = ["raised", type(exc).__name__]
        try:
            alive = bool(root.winfo_exists())
        except tkinter.TclError:
            alive = False
        report[f"{lib}-{ending}"] = {
            "outcome": outcome,
            "window_alive_after": alive,
            "sigint_default": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
            "wakeup_fd": signal.set_wakeup_fd(-1),
            **seen,
        }
print(json.dumps(report))
"""

EXPECTED: dict[str, Any] = {
    "return": ["value", 5],
    "raise": ["raised", "ValueError"],
    "raise_keyboard_interrupt": ["raised", "KeyboardInterrupt"],
    "close_request": ["value", None],
    "ctrl_c": ["raised", "KeyboardInterrupt"],
    "destroy_in_coroutine": ["value", None],
    "destroy_in_callback": ["value", None],
}


@pytest.fixture(scope="module")
def child_report(_display: str) -> tuple[dict[str, Any], str]:
    """Run every (lib, ending) in one child process; its report and its stderr."""
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", CHILD, json.dumps(LIBS), json.dumps(ENDINGS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout), proc.stderr


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("ending", ENDINGS)
def test_run_app_ends_as_main_ended(
    child_report: tuple[dict[str, Any], str], lib: str, ending: str
) -> None:
    report, _ = child_report
    case = report[f"{lib}-{ending}"]
    assert case["outcome"] == EXPECTED[ending], case
    assert case["updates"] == 5  # the widget was updated from the coroutine each time
    assert case["window_alive_after"] is False  # the window closes once main finished
    assert case["sigint_default"] is True  # Ctrl-C handling is given back
    assert case["wakeup_fd"] == -1  # and no wakeup fd is left behind
    if ending == "close_request":
        # main was cancelled while its window was still there (it closed afterwards)
        assert case["finally_with_window"] is True


def test_no_run_leaves_a_warning_or_an_error_on_stderr(
    child_report: tuple[dict[str, Any], str],
) -> None:
    _, stderr = child_report
    assert dev_mode_stderr(stderr) == ""


# ------------------------------------------------------------------ in process


def test_close_request_can_be_vetoed_and_restored(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher
) -> None:
    backend: Any = tk_dispatcher.backend
    asked: list[int] = []
    own: list[str] = []
    root.protocol("WM_DELETE_WINDOW", lambda: own.append("app's own"))
    backend.on_close_requested(lambda: asked.append(1) or False)
    root.tk.call(root.protocol("WM_DELETE_WINDOW"))
    assert asked == [1]
    assert root.winfo_exists()
    assert own == []
    backend.on_close_requested(lambda: True)  # granted: the app's own handler decides
    root.tk.call(root.protocol("WM_DELETE_WINDOW"))
    assert own == ["app's own"]
    backend.on_close_requested(None)
    root.tk.call(root.protocol("WM_DELETE_WINDOW"))
    assert own == ["app's own", "app's own"]
    assert asked == [1]


def test_a_granted_close_without_an_app_handler_destroys_the_root(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher
) -> None:
    backend: Any = tk_dispatcher.backend
    backend.on_close_requested(lambda: None)  # None is no veto
    root.tk.call(root.protocol("WM_DELETE_WINDOW"))
    with pytest.raises(tkinter.TclError):
        root.winfo_exists()


@pytest.mark.parametrize("lib", LIBS)
def test_handlers_run_on_tk_and_their_errors_are_counted(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher, mainloop: Callable[..., bool], lib: str
) -> None:
    d = tk_dispatcher
    sleep: Any = __import__(lib).sleep
    clicks: list[str] = []
    stop = [False]

    @aio.handler
    async def on_click() -> None:
        await sleep(0)
        clicks.append(str(root.winfo_exists()))
        raise ValueError("click")

    button = tkinter.Button(root, command=on_click)
    button.pack()

    async def main() -> None:
        while not stop[0]:
            await sleep(0.005)

    run = aio.start(main, lib=lib, dispatcher=d)
    errors = d.stats().errors
    button.invoke()
    assert mainloop(root, lambda: d.stats().errors == errors + 1)
    assert clicks == ["1"]
    (exc,) = d.error_handler.take()  # type: ignore[attr-defined]
    assert str(exc) == "click"
    stop[0] = True
    assert mainloop(root, lambda: run.done)
    run.result()


def test_the_guides_tk_example_runs() -> None:
    """The complete Tk app of docs/guide/async-await.md runs and prints main's value."""
    guide = Path(__file__).parents[3] / "docs" / "guide" / "async-await.md"
    example = guide.read_text().split("```python\n")[1].split("```")[0]
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", example], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == str(sum(range(1_000_000)))
    assert dev_mode_stderr(proc.stderr) == ""
