"""``python -m uidispatch demo``: the self-test drives the real Tk window under Xvfb."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import uidispatch as ud
from uidispatch import aio
from uidispatch._tools._cli import main
from uidispatch._tools._demo import SEE_THE_WINDOW
from uidispatch._tools._demo._async import AsyncPanel
from uidispatch._tools._demo._model import DemoModel, DemoView, plural
from uidispatch._tools._demo._selftest import SelfTest
from uidispatch._tools._demo._work import _short, format_stats

ASYNC_PANEL = (
    "ok   async echo: a line sent to the local asyncio server came back",
    "ok   async countdown restarted, then reached 0 once (asyncio.sleep)",
    "ok   async run ended with the window (server, connections and loop closed)",
)
"""The async panel's self-test lines (``aio`` on the toolkit's UI thread)."""
UNCLEAN = (
    "Task was destroyed",
    "was never awaited",
    "ResourceWarning",
    "unclosed",
    "Exception ignored",
    "guest run",
    "Traceback",
)


def assert_ended_cleanly(proc: subprocess.CompletedProcess[str]) -> None:
    """No sign on stderr that the async run (or anything else) was left unfinished."""
    for sign in UNCLEAN:
        assert sign not in proc.stderr, proc.stderr


needs_tk = pytest.mark.skipif(
    "tk" not in ud.backends() or not ud.backends()["tk"].loaded,
    reason="the demo runs on the tk backend: pip install -e plugins/uidispatch-tk",
)
needs_x = pytest.mark.skipif(
    not os.environ.get("DISPLAY") and shutil.which("Xvfb") is None,
    reason="no DISPLAY and no Xvfb (apt-get install -y xvfb)",
)


def run_demo(
    *argv: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # Development mode: an async run left unfinished, a socket left open or a task
    # destroyed pending says so on stderr (see assert_ended_cleanly).
    return subprocess.run(
        [sys.executable, "-X", "dev", "-m", "uidispatch", "demo", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@needs_tk
@needs_x
def test_selftest_exercises_every_panel_and_exits_0() -> None:
    proc = run_demo("--selftest", "60")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for line in (
        "ok   two tasks finished",
        "ok   cancelled task resolved as cancelled",
        "ok   long task shows progress",
        "ok   search debounced: 4 keystrokes, 2 searches",
        'ok   newer search cancelled the running one (if_running="restart")',
        "ok   busy spinner: pool.on_busy reported idle, then busy",
        "ok   plain flood: 100,000 calls ran",
        "ok   keyed flood coalesced, last value 99,999",
        "ok   0.5 s block reported as a stall with its duration",
        "ok   health report (pool.report()) lists each operation",
        *ASYNC_PANEL,
        "ok   window keeps its size while content changes",
    ):
        assert line in out, out
    assert "FAIL" not in out
    assert_ended_cleanly(proc)


@needs_tk
@needs_x
@pytest.mark.skipif(shutil.which("import") is None, reason="needs ImageMagick's import")
def test_selftest_screenshot_writes_a_png(tmp_path: Path) -> None:
    shot = tmp_path / "demo.png"
    proc = run_demo("--selftest", "60", "--screenshot", str(shot))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"screenshot: {shot}" in proc.stdout


def _loaded(name: str) -> bool:
    info = ud.backends().get(name)
    return info is not None and info.loaded


needs_qt = pytest.mark.skipif(
    not _loaded("qt") or importlib.util.find_spec(ud.backends()["qt"].requires[0]) is None,
    reason="the Qt demo needs uidispatch-qt and a binding: pip install uidispatch-qt[pyside6]",
)
needs_kivy = pytest.mark.skipif(
    not _loaded("kivy") or importlib.util.find_spec("kivy") is None,
    reason="the Kivy demo needs uidispatch-kivy: pip install -e plugins/uidispatch-kivy",
)
EVERY_PANEL = (
    "ok   two tasks finished",
    "ok   cancelled task resolved as cancelled",
    "ok   long task shows progress",
    "ok   search debounced: 4 keystrokes, 2 searches",
    'ok   newer search cancelled the running one (if_running="restart")',
    "ok   busy spinner: pool.on_busy reported idle, then busy",
    "ok   plain flood: 100,000 calls ran",
    "ok   keyed flood coalesced, last value 99,999",
    "ok   0.5 s block reported as a stall with its duration",
    "ok   health report (pool.report()) lists each operation",
    *ASYNC_PANEL,
)


@needs_qt
def test_qt_demo_selftest_and_screenshot_run_offscreen_without_xvfb(tmp_path: Path) -> None:
    shot = tmp_path / "qt.png"
    args = ("--backend", "qt", "--selftest", "60", "--screenshot", str(shot))
    proc = run_demo(*args, timeout=180, env=_headless_env(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "uidispatch demo self-test on qt" in proc.stdout
    for line in (*EVERY_PANEL, "ok   window keeps its size while content changes"):
        assert line in proc.stdout, proc.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_ended_cleanly(proc)


@needs_qt
def test_qt_demo_without_a_display_runs_its_self_test_offscreen(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uidispatch", "demo", "--backend", "qt"],
        capture_output=True,
        text=True,
        timeout=180,
        env=_headless_env(tmp_path),
    )
    assert "running the scripted self-test offscreen instead" in proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok   plain flood: 100,000 calls ran" in proc.stdout


@needs_kivy
@needs_x
def test_kivy_demo_selftest_and_screenshot_pass(tmp_path: Path) -> None:
    shot = tmp_path / "kivy.png"
    proc = run_demo("--backend", "kivy", "--selftest", "60", "--screenshot", str(shot), timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "uidispatch demo self-test on kivy" in proc.stdout
    for line in (*EVERY_PANEL, "ok   window keeps its size while content changes"):
        assert line in proc.stdout, proc.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_asyncio_demo_needs_no_toolkit_and_prints_what_it_checked() -> None:
    proc = run_demo("--backend", "asyncio", "--selftest", "60")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "uidispatch demo on the asyncio backend (no window)" in proc.stdout
    for line in EVERY_PANEL:
        assert line in proc.stdout, proc.stdout
    assert "window keeps its size" not in proc.stdout  # no window to measure
    assert "async echo: 'hello #1 from the UI thread' came back in " in proc.stdout
    assert_ended_cleanly(proc)


def _headless_env(tmp_path: Path) -> dict[str, str]:
    """A fresh server's environment: no display, and no Xvfb anywhere on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PATH"] = str(tmp_path)
    return env


@needs_tk
def test_without_a_display_or_xvfb_the_demo_runs_its_self_test_in_the_terminal(
    tmp_path: Path,
) -> None:
    # README's first command on a fresh server: exit 0, the library at work, and how to
    # see the real window.
    proc = subprocess.run(
        [sys.executable, "-m", "uidispatch", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_headless_env(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no display and no Xvfb here; running the scripted self-test on the asyncio" in (
        proc.stderr
    )
    out = proc.stdout
    assert "uidispatch demo self-test on asyncio" in out
    for line in (
        "ok   two tasks finished",
        "ok   search debounced: 4 keystrokes, 2 searches",
        'ok   newer search cancelled the running one (if_running="restart")',
        "ok   busy spinner: pool.on_busy reported idle, then busy",
        "ok   plain flood: 100,000 calls ran",
        "ok   0.5 s block reported as a stall with its duration",
    ):
        assert line in out, out
    assert "task 'resize photos': done" in out  # each change printed as it lands
    assert "FAIL" not in out
    assert out.rstrip().endswith(SEE_THE_WINDOW)


@needs_tk
def test_an_explicit_selftest_without_a_display_or_xvfb_says_what_to_install(
    tmp_path: Path,
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uidispatch", "demo", "--selftest", "5"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_headless_env(tmp_path),
    )
    assert proc.returncode == 1
    assert "demo: no DISPLAY is set and Xvfb is not installed; install the 'xvfb'" in (proc.stderr)


@needs_tk
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt-get install xvfb)")
def test_without_a_display_the_demo_runs_its_self_test_under_xvfb() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(
        [sys.executable, "-m", "uidispatch", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "running the scripted self-test under Xvfb" in proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "plain flood: 100,000 calls ran" in proc.stdout


def test_without_the_tk_backend_the_demo_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ud, "backends", dict)
    assert main(["demo"]) == 1
    assert "the tk backend is not installed; pip install uidispatch-tk" in capsys.readouterr().err


def test_a_toolkit_without_a_demo_exits_2_naming_the_ones_that_exist(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--backend", "gtk"]) == 2
    assert "no demo for backend 'gtk'; demos exist for: tk, qt, kivy, asyncio" in (
        capsys.readouterr().err
    )


def test_screenshot_without_selftest_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "--screenshot", "x.png"])
    assert info.value.code == 2
    assert "--screenshot needs --selftest SECONDS" in capsys.readouterr().err


def test_selftest_seconds_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--selftest", "0"])
    assert "argument --selftest: must be a number of seconds > 0, got '0'" in (
        capsys.readouterr().err
    )


def test_stats_panel_shows_depth_coalesced_dropped_drain_latency_and_slowest(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    d = virtual_dispatcher
    for i in range(3):
        d.call_soon(print, i, key="k")
    labels = dict(format_stats(d.stats()))
    assert labels["queue depth"].startswith("1 ")
    assert labels["coalesced"] == "2"
    assert labels["dropped"] == "0"
    assert labels["longest drain"].endswith(" ms")
    assert labels["wake latency p50 / p99"].endswith(" ms")
    assert labels["slowest callback"] == "none over 1 ms"
    d.close()


def test_slowest_callback_names_are_short_and_readable() -> None:
    assert _short("functools.partial(<bound method TkDemo._done of <x object at 0x1>>, 3)") == (
        "TkDemo._done"
    )
    assert _short("<function block at 0x7f>") == "block"
    assert _short("a" * 40) == "..." + "a" * 25


def test_counts_take_the_singular_for_one() -> None:
    assert plural(1, "match", "matches") == "1 match"
    assert plural(0, "match", "matches") == "0 matches"
    assert plural(2, "search", "searches") == "2 searches"
    assert plural(1_000, "drain") == "1,000 drains"
    assert plural(1, "key") == "1 key"


def test_search_status_says_1_match_not_1_matches(virtual_dispatcher: ud.Dispatcher) -> None:
    statuses: list[str] = []

    class Recorder(DemoView):
        def search_changed(self, status: str, results: tuple[str, ...]) -> None:
            statuses.append(status)

    model = DemoModel(virtual_dispatcher, Recorder())
    try:
        model.on_query("zipimport")
        model._search_done("zipimport", 0.0, ("zipimport",))
        assert statuses[-1].startswith("1 match for 'zipimport' in ")
        assert statuses[-1].endswith("; 1 key -> 0 searches")
    finally:
        model.close()


# ---------------------------------------------------------------------- the async panel


class AsyncRecorder(DemoView):
    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {}

    def aio_changed(self, part: str, text: str) -> None:
        self.lines.setdefault(part, []).append(text)


async def _until(predicate: Any, timeout: float = 10.0) -> None:
    """Let the loops run until ``predicate()`` holds; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def _on_asyncio(test: Any) -> Any:
    """Run ``test(model, view)`` on a demo model of the asyncio backend, then close it."""

    async def host() -> Any:
        d = ud.get_dispatcher("asyncio")
        view = AsyncRecorder()
        model = DemoModel(d, view)
        try:
            model.start()
            return await test(model, view)
        finally:
            model.close()

    return asyncio.run(host())


def test_the_echo_button_round_trips_a_line_through_the_local_server() -> None:
    async def test(model: DemoModel, view: AsyncRecorder) -> None:
        panel = model.aio
        panel.echo()
        panel.echo()
        await _until(lambda: len(panel.replies) == 2)
        assert (
            panel.replies
            == panel.sent
            == [
                "hello #1 from the UI thread",
                "hello #2 from the UI thread",
            ]
        )
        assert len(panel.rtts) == 2
        assert all(0 < rtt < 5 for rtt in panel.rtts)
        assert view.lines["server"][-1].startswith(f"echo server on 127.0.0.1:{panel.port},")
        assert view.lines["echo"][-1].startswith("'hello #2 from the UI thread' came back in ")

    _on_asyncio(test)


def test_pressing_countdown_again_restarts_it_and_only_the_new_one_reaches_0() -> None:
    async def test(model: DemoModel, view: AsyncRecorder) -> None:
        panel = model.aio
        panel.count_down(3, 0.2)  # slow: the restart comes while it shows 2
        await _until(lambda: view.lines.get("countdown", [])[-1:] == ["countdown: 2"])
        first = panel._countdown
        panel.count_down(3, 0.02)
        await _until(lambda: panel.zeros >= 1)
        assert first is not None
        assert first.cancelled()
        assert (panel.zeros, panel.restarts) == (1, 1)
        assert view.lines["countdown"] == [
            "countdown: 3",
            "countdown: 2",
            "countdown: 3",
            "countdown: 2",
            "countdown: 1",
            "countdown: 0, done",
        ]

    _on_asyncio(test)


def test_closing_mid_echo_and_mid_countdown_ends_the_run_and_closes_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held: list[bytes] = []

    async def hold(
        panel: AsyncPanel, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # The server reads the line and never answers: the echo is in flight at the close.
        panel._clients.add(writer)
        held.append(await reader.readline())
        await asyncio.Event().wait()

    monkeypatch.setattr(AsyncPanel, "_reply", hold)
    port: list[int] = []

    async def test(model: DemoModel, view: AsyncRecorder) -> None:
        panel = model.aio
        panel.count_down(10, 1.0)
        panel.echo()
        await _until(lambda: bool(held))
        port.append(panel.port or 0)
        model.close()  # as the window's close does: the run ends in here
        assert panel.ended
        assert panel.run is not None
        assert panel.run.cancelled
        assert panel.run.loop.is_closed()  # type: ignore[attr-defined]
        assert (panel.zeros, panel.replies) == (0, [])
        assert view.lines["countdown"] == ["countdown: 10"]

    _on_asyncio(test)  # an unclosed socket or a pending task would fail it (warnings=error)
    assert held == [b"hello #1 from the UI thread\n"]
    with pytest.raises(ConnectionRefusedError):  # the server's socket is closed
        socket.create_connection(("127.0.0.1", port[0]), timeout=2).close()


def test_where_the_guest_loop_cannot_run_the_panel_says_why_and_the_self_test_skips_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*args: object, **kwargs: object) -> aio.Run:
        raise RuntimeError("checked on CPython 3.10 to 3.13, not 3.99")

    monkeypatch.setattr(aio, "start", refuse)  # the panel calls aio.start

    async def test(model: DemoModel, view: AsyncRecorder) -> list[str]:
        panel = model.aio
        panel.echo()  # buttons do nothing: no run to join
        panel.count_down()
        assert view.lines == {
            "server": ["async panel off: checked on CPython 3.10 to 3.13, not 3.99"]
        }
        assert panel.ended
        assert panel.error is not None
        test_ = SelfTest(model, 1.0, None, on_finished=lambda: None)
        return [name for name, _ in test_.checks]

    names = _on_asyncio(test)
    assert not [name for name in names if "async" in name]
    assert "health report (pool.report()) lists each operation" in names
