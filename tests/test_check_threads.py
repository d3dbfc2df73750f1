"""The wrong-thread checker's core, on a fake toolkit whose part comes through the hook.

The fake toolkit (``faketk``) and its part (``faketk_threadcheck``) are written to real
files, as a third-party backend's would be, so that frames are told apart by file as they
are for Tk or Qt. The toolkit parts of real backends are tested in their plugins' tests.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import uidispatch as ud
from uidispatch._addons import _threadcheck_hub
from uidispatch._addons._threadcheck_imports import ImportHooks
from uidispatch._core._plugins import get_registry

FAKETK = """
class Surface(list):
    '''Has C-level methods (list.append): what only a call watch can see.'''


class Widget:
    def __init__(self):
        self.text = None
        self.surface = Surface()

    def set_text(self, text):
        self._apply("text", text)

    def _apply(self, name, value):
        _native(self, name, value)

    def __del__(self):
        _native(self, "text", None)


def _native(widget, name, value):
    setattr(widget, name, value)
"""

PART = """
import faketk
from uidispatch.hookspecs import ThreadCheckSpec, hookimpl

installs = []
uninstalls = []
_state = {}


def _install(reporter):
    installs.append(reporter)
    original = faketk._native

    def checked(widget, name, value):
        if not reporter.is_ui_thread():
            reporter.report("faketk.native")
        original(widget, name, value)

    _state["original"] = original
    faketk._native = checked


def _uninstall():
    uninstalls.append(True)
    faketk._native = _state.pop("original")


def _classify(fn, arg0):
    owner = getattr(fn, "__self__", None)
    if not isinstance(owner, faketk.Surface):
        owner = arg0 if getattr(fn, "__objclass__", None) is list else None
    if isinstance(owner, faketk.Surface):
        return "Surface." + fn.__name__
    return None


@hookimpl
def uidispatch_thread_checks():
    return [ThreadCheckSpec("faketk", _install, _uninstall, classify=_classify,
                            modules=("faketk",))]
"""


@pytest.fixture(scope="module")
def fake_modules(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ModuleType, Any]]:
    folder = tmp_path_factory.mktemp("faketk")
    (folder / "faketk.py").write_text(FAKETK)
    (folder / "faketk_threadcheck.py").write_text(PART)
    sys.path.insert(0, str(folder))
    try:
        import faketk
        import faketk_threadcheck

        yield faketk, faketk_threadcheck
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("faketk", None)
        sys.modules.pop("faketk_threadcheck", None)


@pytest.fixture
def faketk(fake_modules: tuple[ModuleType, Any]) -> Iterator[ModuleType]:
    """The fake toolkit, its part registered with the plugin manager for this test."""
    toolkit, part = fake_modules
    manager = get_registry().manager
    manager.register(part, name="faketk")
    part.installs.clear()
    part.uninstalls.clear()
    yield toolkit
    manager.unregister(name="faketk")
    assert _threadcheck_hub.installed_parts() == [], "a check was left running"


def in_thread(fn: Callable[[], object], name: str = "worker") -> BaseException | None:
    """Run ``fn`` on a new thread; return what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    return raised[0] if raised else None


def line_of(marker: str) -> int:
    """The line of this file holding ``marker`` (a comment at the offending call)."""
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if marker in text and "line_of(" not in text:
            return number
    raise AssertionError(marker)


# ------------------------------------------------------------------------ modes


def test_record_mode_names_the_callers_line_thread_and_operation(faketk: ModuleType) -> None:
    w = faketk.Widget()

    def work() -> None:
        w.set_text("x")  # @record-call

    with ud.check_threads(mode="record") as chk:
        assert in_thread(work, name="loader") is None
    assert w.text == "x"  # record mode lets the call through
    [v] = chk.violations
    assert isinstance(v, ud.Violation)
    assert (v.toolkit, v.operation, v.thread_name) == ("faketk", "Widget.set_text", "loader")
    assert (v.filename, v.lineno, v.function) == (__file__, line_of("@record-call"), "work")
    assert "in work" in v.stack
    assert "w.set_text" in v.stack
    assert "loader" in str(v)
    assert "Widget.set_text" in str(v)


def test_raise_mode_raises_in_the_worker_and_the_call_never_happens(faketk: ModuleType) -> None:
    w = faketk.Widget()

    def work() -> None:
        w.set_text("x")

    with ud.check_threads(mode="raise") as chk:
        exc = in_thread(work)
        again = in_thread(work)
    assert isinstance(exc, ud.WrongThreadError)
    assert isinstance(exc, ud.UIDispatchError)
    assert isinstance(again, ud.WrongThreadError), "raised every time, recorded once"
    assert exc.violation == chk.violations[0]
    assert len(chk.violations) == 1
    assert w.text is None


def test_warn_mode_warns_once_per_line_at_the_callers_location(faketk: ModuleType) -> None:
    w = faketk.Widget()

    def work() -> None:
        for _ in range(3):
            w.set_text("x")  # @warn-call

    with warnings.catch_warnings(record=True) as caught, ud.check_threads() as chk:
        warnings.simplefilter("always")
        assert in_thread(work) is None
    assert chk.mode == "warn"
    [warning] = [c for c in caught if c.category is ud.WrongThreadWarning]
    assert (warning.filename, warning.lineno) == (__file__, line_of("@warn-call"))
    assert "Widget.set_text" in str(warning.message)
    assert len(chk.violations) == 1
    assert w.text == "x"


def test_warnings_as_errors_stop_the_call_in_the_worker(faketk: ModuleType) -> None:
    w = faketk.Widget()
    with warnings.catch_warnings(), ud.check_threads(mode="warn"):
        # What -W error::uidispatch.WrongThreadWarning does; the module filter proves the
        # warning is attributed to this file, not to uidispatch or the toolkit.
        warnings.filterwarnings("error", category=ud.WrongThreadWarning, module=__name__)
        exc = in_thread(lambda: w.set_text("x"))
    assert isinstance(exc, ud.WrongThreadWarning)
    assert w.text is None


def test_one_report_per_file_line_and_operation(faketk: ModuleType) -> None:
    w = faketk.Widget()

    def work() -> None:
        for _ in range(5):
            w.set_text("a")
        w.set_text("b")  # another line: another report

    with ud.check_threads(mode="record") as chk:
        assert in_thread(work) is None
        assert in_thread(work) is None
    assert len(chk.violations) == 2
    assert chk.violations[0].lineno != chk.violations[1].lineno


def test_calls_on_the_ui_thread_are_not_reported(faketk: ModuleType) -> None:
    w = faketk.Widget()
    with ud.check_threads(mode="raise") as chk:
        w.set_text("x")
        w.surface.append(1)
    assert chk.violations == []
    assert w.text == "x"


def test_finalizers_are_not_reported(faketk: ModuleType) -> None:
    with ud.check_threads(mode="raise") as chk:
        # The widget dies on the worker: its __del__ touches the toolkit there.
        assert in_thread(lambda: faketk.Widget()) is None
    assert chk.violations == []


# ------------------------------------------------------------------- activation


def test_stop_removes_the_parts_and_reports_nothing_after(faketk: ModuleType) -> None:
    w = faketk.Widget()
    original = faketk._native
    chk = ud.check_threads(mode="raise")
    try:
        assert faketk._native is not original
        assert chk.active
        assert "faketk" in _threadcheck_hub.installed_parts()
    finally:
        chk.stop()
    chk.stop()  # idempotent
    assert _threadcheck_hub.installed_parts() == []
    assert not chk.active
    assert faketk._native is original
    assert in_thread(lambda: w.set_text("x")) is None
    assert chk.violations == []
    assert w.text == "x"


def test_concurrent_checks_share_one_installation_and_each_keeps_its_record(
    faketk: ModuleType, fake_modules: tuple[ModuleType, Any]
) -> None:
    part = fake_modules[1]
    w = faketk.Widget()
    outer = ud.check_threads(mode="record")
    with ud.check_threads(mode="record") as inner:
        assert in_thread(lambda: w.set_text("a")) is None
    assert in_thread(lambda: w.set_text("b")) is None
    outer.stop()
    assert len(part.installs) == 1
    assert len(part.uninstalls) == 1
    assert len(inner.violations) == 1
    assert len(outer.violations) == 2


def test_a_raising_check_wins_over_a_recording_one(faketk: ModuleType) -> None:
    w = faketk.Widget()
    with ud.check_threads(mode="record") as quiet, ud.check_threads(mode="raise"):
        exc = in_thread(lambda: w.set_text("x"))
    assert isinstance(exc, ud.WrongThreadError)
    assert len(quiet.violations) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"mode": "loud"},
            ValueError,
            r"mode must be one of 'warn', 'raise', 'record', got 'loud'",
        ),
        ({"mode": None}, ValueError, r"mode must be one of .*got None"),
        ({"profile_threads": 1}, TypeError, r"profile_threads must be True or False, got 1"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        ud.check_threads(**kwargs)


# -------------------------------------------------------------- the call watch


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
def test_monitoring_sees_c_calls_on_threads_started_before_the_check(faketk: ModuleType) -> None:
    w = faketk.Widget()
    go = threading.Event()
    raised: list[BaseException] = []

    def work() -> None:
        go.wait(10)
        try:
            w.surface.append(1)  # @monitored-call
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    with ud.check_threads(mode="raise") as chk:
        go.set()
        thread.join(10)
    assert [v.operation for v in chk.violations] == ["Surface.append"]
    assert chk.violations[0].lineno == line_of("@monitored-call")
    assert isinstance(raised[0], ud.WrongThreadError)
    assert w.surface == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12+ watches with sys.monitoring")
def test_profile_threads_sees_c_calls_on_threads_started_after_the_check(
    faketk: ModuleType,
) -> None:
    w = faketk.Widget()
    with ud.check_threads(mode="record") as plain:
        assert in_thread(lambda: w.surface.append(1)) is None
    assert plain.violations == [], "without the profile hook C calls are not watched"
    with ud.check_threads(mode="record", profile_threads=True) as chk:
        assert in_thread(lambda: w.surface.append(2)) is None
    assert [v.operation for v in chk.violations] == ["Surface.append"]


# --------------------------------------------------- uidispatch's own paths


def _call_soon(d: ud.Dispatcher, w: Any, done: threading.Event) -> None:
    d.call_soon(w.set_text, "x")


def _call(d: ud.Dispatcher, w: Any, done: threading.Event) -> None:
    d.call(w.set_text, "x")


def _main_thread(d: ud.Dispatcher, w: Any, done: threading.Event) -> None:
    ud.main_thread(dispatcher=d)(w.set_text)("x")


def _main_thread_wait(d: ud.Dispatcher, w: Any, done: threading.Event) -> None:
    ud.main_thread(wait=True, dispatcher=d)(w.set_text)("x")


def _on_done(d: ud.Dispatcher, w: Any, done: threading.Event) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=d)
    pool.submit(lambda: "x", on_done=w.set_text)
    pool.shutdown(wait=False)


def _on_progress(d: ud.Dispatcher, w: Any, done: threading.Event) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=d)
    pool.submit(lambda: ud.report_progress("x"), on_progress=lambda v, m: w.set_text(v))
    pool.shutdown(wait=False)


def _on_item(d: ud.Dispatcher, w: Any, done: threading.Event) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=d)
    pool.submit(lambda: ud.emit("x"), on_item=w.set_text)
    pool.shutdown(wait=False)


OWN_PATHS = [_call_soon, _call, _main_thread, _main_thread_wait, _on_done, _on_progress, _on_item]


@pytest.mark.parametrize("path", OWN_PATHS, ids=lambda p: p.__name__.lstrip("_"))
def test_uidispatch_marshalling_paths_never_report(
    faketk: ModuleType, virtual_dispatcher: ud.Dispatcher, path: Callable[..., None]
) -> None:
    d = virtual_dispatcher
    w = faketk.Widget()
    done = threading.Event()

    def worker() -> None:
        path(d, w, done)
        done.set()

    with ud.check_threads(mode="raise") as chk:
        thread = threading.Thread(target=worker)
        thread.start()
        assert d.run_until(lambda: w.text == "x" and done.is_set(), 10)
        thread.join(10)
    assert chk.violations == []


def test_a_widget_method_handed_to_a_pool_is_still_reported(
    faketk: ModuleType, virtual_dispatcher: ud.Dispatcher
) -> None:
    w = faketk.Widget()
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    with ud.check_threads(mode="record") as chk:
        pool.submit(w.set_text, "x").result(10)
    pool.shutdown()
    [v] = chk.violations
    assert v.operation == "Widget.set_text"


# ----------------------------------------------------------- environment, imports


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    full = {k: v for k, v in os.environ.items() if k != "UIDISPATCH_CHECK_THREADS"}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=full
    )


def test_the_environment_variable_starts_a_check_at_import() -> None:
    out = _python(
        "import uidispatch as ud\n"
        "from uidispatch._addons import _threadcheck as t\n"
        "print(t._env_checker.mode, t._env_checker.active)",
        UIDISPATCH_CHECK_THREADS="record",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["record", "True"]


def test_a_bad_environment_variable_names_itself() -> None:
    out = _python("import uidispatch", UIDISPATCH_CHECK_THREADS="loud")
    assert out.returncode != 0
    assert "UIDISPATCH_CHECK_THREADS must be one of 'warn', 'raise', 'record', got 'loud'" in (
        out.stderr
    )


def test_off_it_installs_nothing() -> None:
    out = _python(
        "import sys, threading\n"
        "before = list(sys.meta_path)\n"
        "import uidispatch\n"
        "from uidispatch._addons import _threadcheck_hub as h\n"
        "mon = getattr(sys, 'monitoring', None)\n"
        "tools = [] if mon is None else [mon.get_tool(i) for i in range(6)]\n"
        "print(h.installed_parts(), h.watch_kind(), 'uidispatch.check_threads' in tools,\n"
        "      sys.meta_path == before, sys.getprofile(), threading.getprofile()\n"
        "      if hasattr(threading, 'getprofile') else None)"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "None", "False", "True", "None", "None"]


def test_import_hooks_run_once_the_module_is_imported(tmp_path: Path) -> None:
    (tmp_path / "late_toolkit_mod.py").write_text("VALUE = 42\n")
    hooks = ImportHooks()
    seen: list[int] = []
    hooks.on_import("late_toolkit_mod", lambda m: seen.append(m.VALUE))
    assert seen == []
    assert hooks in sys.meta_path
    sys.path.insert(0, str(tmp_path))
    try:
        import late_toolkit_mod  # noqa: F401

        assert seen == [42]
        assert hooks not in sys.meta_path
        hooks.on_import("late_toolkit_mod", lambda m: seen.append(-m.VALUE))  # already there
        assert seen == [42, -42]
    finally:
        hooks.close()
        sys.path.remove(str(tmp_path))
        sys.modules.pop("late_toolkit_mod", None)
