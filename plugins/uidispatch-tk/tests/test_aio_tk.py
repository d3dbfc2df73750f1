"""uidispatch.aio on a real Tk root: run_app and every way a run ends, asyncio and trio.

Every ending runs in one child process (``uidispatch.testing.aio_endings``: a fresh
interpreter shows what only a whole process shows: warnings at teardown, a SIGINT, an
abandoned guest run), one root per case; the tests below read its report. Ctrl-C is a
real SIGINT sent to the child.
"""

from __future__ import annotations

import subprocess
import sys
import tkinter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import uidispatch as ud
from uidispatch import aio
from uidispatch.testing import aio_endings, dev_mode_stderr

LIBS = aio_endings.LIBS
ENDINGS = aio_endings.ENDINGS


@pytest.fixture(scope="module")
def endings_report(_display: str) -> aio_endings.EndingsReport:
    """Every (lib, ending) in one child process, one root per case (the module's Tk code)."""
    return aio_endings.run_endings(aio_endings.TK_WINDOW)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("ending", ENDINGS)
def test_run_app_ends_as_main_ended(
    endings_report: aio_endings.EndingsReport, lib: str, ending: str
) -> None:
    aio_endings.assert_ended_as_expected(endings_report, lib, ending)


def test_no_run_leaves_a_warning_or_an_error_on_stderr(
    endings_report: aio_endings.EndingsReport,
) -> None:
    aio_endings.assert_quiet_stderr(endings_report)


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


@pytest.mark.parametrize("lib", LIBS)
def test_a_modal_dialog_awaited_in_a_coroutine_lets_the_other_coroutines_run(
    root: tkinter.Tk, tk_dispatcher: ud.Dispatcher, mainloop: Callable[..., bool], lib: str
) -> None:
    sleep: Any = __import__(lib).sleep
    ticks: list[int] = []
    label = tkinter.Label(root, text="-")
    label.pack()

    @aio.handler
    async def ticker() -> None:
        while True:
            ticks.append(1)
            label["text"] = str(len(ticks))
            await sleep(0.002)

    async def main() -> tuple[int, int]:
        ticker()
        await sleep(0)
        dialog = tkinter.Toplevel(root)
        opened = len(ticks)

        def close_once_others_ran() -> None:
            # The dialog's own nested loop keeps running the other coroutines.
            if len(ticks) >= opened + 5:
                dialog.destroy()
            else:
                root.after(2, close_once_others_ran)

        root.after(2, close_once_others_ran)
        await aio.modal(root.wait_window, dialog)  # a nested Tk loop until it closes
        return opened, len(ticks)

    run = aio.start(main, lib=lib, dispatcher=tk_dispatcher)
    assert mainloop(root, lambda: run.done)
    opened, after = run.result()
    assert after >= opened + 5
    assert label["text"] == str(len(ticks))


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
