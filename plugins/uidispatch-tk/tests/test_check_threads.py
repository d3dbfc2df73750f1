"""The Tk part of the wrong-thread checker, on a real Tk under Xvfb.

Every listed operation made from a worker is reported at the worker's own line; every
path uidispatch offers for getting back to the Tk thread is never reported.
"""

from __future__ import annotations

import threading
import tkinter
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import uidispatch as ud
from uidispatch._addons import _threadcheck_hub
from uidispatch.testing import marshalling

# These tests make wrong-thread calls on purpose, each under its own check: a
# session-wide check (--ud-check-threads) records them instead of failing them.
pytestmark = pytest.mark.allow_wrong_thread


@dataclass
class App:
    root: tkinter.Tk
    label: tkinter.Label
    entry: tkinter.Entry
    canvas: tkinter.Canvas
    text: tkinter.StringVar
    number: tkinter.IntVar


@pytest.fixture
def app(root: tkinter.Tk) -> App:
    """Widgets and variables made before any check starts (the usual case)."""
    label = tkinter.Label(root, text="start")
    label.pack()
    return App(
        root,
        label,
        tkinter.Entry(root),
        tkinter.Canvas(root),
        tkinter.StringVar(root, "v"),
        tkinter.IntVar(root, 1),
    )


def in_thread(fn: Callable[[], object]) -> BaseException | None:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, name="tk-worker")
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    return raised[0] if raised else None


# Each operation on its own line: the report must name exactly that line.
OPERATIONS: list[tuple[str, Callable[[App], object]]] = [
    ("Label.configure", lambda a: a.label.configure(text="worker")),
    ("Label.configure", lambda a: a.label.config(text="worker")),
    ("Label.__setitem__", lambda a: a.label.__setitem__("text", "worker")),
    ("Label.cget", lambda a: a.label.cget("text")),
    ("Label.pack_configure", lambda a: a.label.pack()),
    ("Label.winfo_width", lambda a: a.label.winfo_width()),
    ("Entry.insert", lambda a: a.entry.insert(0, "x")),
    ("Entry.get", lambda a: a.entry.get()),
    ("Canvas.create_line", lambda a: a.canvas.create_line(0, 0, 1, 1)),
    ("Tk.wm_title", lambda a: a.root.title("worker")),
    ("StringVar.set", lambda a: a.text.set("worker")),
    ("StringVar.get", lambda a: a.text.get()),
    ("IntVar.get", lambda a: a.number.get()),
    ("Tk.after", lambda a: a.root.after(10, print)),
    ("Label.after", lambda a: a.label.after(10, print)),
    ("Tk.after_idle", lambda a: a.root.after_idle(print)),
    ("Label.destroy", lambda a: a.label.destroy()),
    ("Label", lambda a: tkinter.Label(a.root)),
]


@pytest.mark.parametrize(
    ("operation", "call"), OPERATIONS, ids=[f"{op}-{i}" for i, (op, _) in enumerate(OPERATIONS)]
)
def test_each_operation_from_a_worker_is_reported_at_the_workers_line(
    app: App, operation: str, call: Callable[[App], object]
) -> None:
    with ud.check_threads(mode="raise") as chk:
        exc = in_thread(lambda: call(app))
    assert isinstance(exc, ud.WrongThreadError), exc
    [v] = chk.violations
    expected = operation if operation != "Label" else "Label.__init__"
    assert (v.toolkit, v.operation, v.thread_name) == ("tk", expected, "tk-worker")
    assert (v.filename, v.lineno) == (__file__, call.__code__.co_firstlineno)
    assert v.function == "<lambda>"
    assert app.label.cget("text") == "start", "raise mode: the call did not happen"


def test_widgets_made_after_the_check_started_are_checked_too(root: tkinter.Tk) -> None:
    with ud.check_threads(mode="raise") as chk:
        label = tkinter.Label(root)
        var = tkinter.StringVar(root)
        assert isinstance(in_thread(lambda: label.configure(text="x")), ud.WrongThreadError)
        assert isinstance(in_thread(lambda: var.set("x")), ud.WrongThreadError)
    assert [v.operation for v in chk.violations] == ["Label.configure", "StringVar.set"]


def test_the_tk_thread_itself_is_never_reported(app: App) -> None:
    with ud.check_threads(mode="raise") as chk:
        for _, call in OPERATIONS:
            call(app)
    assert chk.violations == []


def test_warn_mode_lets_the_call_through_and_warns_at_the_workers_line(
    app: App, mainloop: Any
) -> None:
    done = threading.Event()

    def work() -> None:
        app.label.configure(text="worker")  # the line the warning names
        done.set()

    with warnings.catch_warnings(record=True) as caught, ud.check_threads("warn") as chk:
        warnings.simplefilter("always")
        thread = threading.Thread(target=work)
        thread.start()
        assert mainloop(app.root, done.is_set)  # tkinter hands the call to the Tk thread
        thread.join(10)
    [warning] = [c for c in caught if c.category is ud.WrongThreadWarning]
    assert (warning.filename, warning.lineno) == (__file__, work.__code__.co_firstlineno + 1)
    assert app.label.cget("text") == "worker"
    assert len(chk.violations) == 1


def test_stop_restores_tkinter(app: App) -> None:
    if _threadcheck_hub.installed_parts():
        pytest.skip("a session-wide check (--ud-check-threads) keeps the parts installed")
    before = (tkinter.Misc.__dict__.get("tk"), tkinter.Variable.__dict__.get("_tk"))
    with ud.check_threads(mode="raise"):
        app.label.configure(text="main")
    assert (tkinter.Misc.__dict__.get("tk"), tkinter.Variable.__dict__.get("_tk")) == before
    assert type(app.label.tk).__name__ == "tkapp"
    assert type(app.text._tk).__name__ == "tkapp"


# ------------------------------------------------------------ our own paths


@pytest.mark.parametrize("path", marshalling.PATHS)
def test_uidispatch_paths_back_to_the_tk_thread_are_never_reported(
    app: App, tk_dispatcher: ud.Dispatcher, mainloop: Any, path: str
) -> None:
    marshalling.assert_never_reported(
        path,
        tk_dispatcher,
        set_text=lambda value: app.label.configure(text=value),
        pump_until=lambda until: mainloop(app.root, until),
    )


def test_the_dispatcher_set_up_from_a_worker_is_never_reported(app: App, mainloop: Any) -> None:
    made: list[ud.Dispatcher | BaseException] = []

    def work() -> None:
        try:
            made.append(ud.get_dispatcher("tk", app=app.root))  # the Tk thread sets it up
        except BaseException as exc:
            made.append(exc)

    with ud.check_threads(mode="raise") as chk:
        thread = threading.Thread(target=work)
        thread.start()
        assert mainloop(app.root, lambda: made)
        thread.join(10)
    assert isinstance(made[0], ud.Dispatcher), made
    made[0].close()
    assert chk.violations == []


# ------------------------------------------------------------------ the guide


def test_the_guides_wrong_app_reports_its_line(tmp_path: Any, run_script: Any) -> None:
    import re
    from pathlib import Path

    guide = Path(__file__).parents[3] / "docs" / "guide" / "find-wrong-thread-bugs.md"
    text = guide.read_text()
    app = re.search(r"```python\n(import threading\n.*?)```", text, re.S)
    assert app is not None
    script = tmp_path / "app.py"
    script.write_text(app.group(1))
    printed = re.search(r"```text\n(app\.py:\d+): WrongThreadWarning: (.*?) \(tk\)", text)
    assert printed is not None
    out = run_script(
        "import runpy, sys, warnings\n"
        "warnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        f"    runpy.run_path({str(script)!r}, run_name='__main__')\n"
        "for w in caught:\n"
        "    print(f'{w.filename}:{w.lineno} {w.category.__name__} {w.message}')\n"
    )
    location, operation = printed.groups()
    line = location.split(":")[1]
    assert f"{script}:{line} WrongThreadWarning {operation} (tk)" in out, out
