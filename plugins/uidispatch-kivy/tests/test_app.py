"""uidispatch in a real Kivy ``App`` with a window (Xvfb when no display is set).

Each scenario runs in a fresh process (``_app_scenarios.py``): Kivy has one window, one
event loop and one running App per process, and a stopped App leaves them behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from uidispatch.hookspecs import Detection

SCENARIOS = Path(__file__).with_name("_app_scenarios.py")


def run_scenario(name: str, display: str) -> dict[str, Any]:
    env = {**os.environ, "DISPLAY": display}  # conftest put Kivy's environment in os.environ
    proc = subprocess.run(
        [sys.executable, str(SCENARIOS), name],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, f"scenario {name} failed:\n{proc.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if "skip" in result:
        pytest.skip(result["skip"])
    assert "error" not in result, result["error"]
    return result


@pytest.fixture(scope="module")
def marshal(display: str) -> dict[str, Any]:
    return run_scenario("marshal", display)


def test_a_running_app_marshals_ordered_calls_and_paints_between_drains(
    marshal: dict[str, Any],
) -> None:
    r = marshal
    assert r["backend"] == "kivy"
    assert r["bound_to_app"], "the dispatcher must bind to the running App"
    assert r["ran"] == 60_000
    assert r["in_order"]
    assert r["on_main_thread"]
    assert r["painted_frames"] >= 5
    assert r["max_drains_between_paints"] <= 1, "two drains ran without a paint in between"
    assert r["app_alive_while_running"]
    assert r["owner_calls"] == ["shown", "unowned"], "a removed widget's call must be skipped"


def test_detection_ranks_a_running_app_above_an_app_above_an_imported_kivy(
    marshal: dict[str, Any],
) -> None:
    r = marshal
    assert r["detect_before_import"] == Detection.INSTALLED
    assert r["detect_clock_imported"] == Detection.IMPORTED
    assert r["detect_app_created"] == Detection.APP
    assert r["detect_on_start"] == Detection.APP  # on_start runs before the loop starts
    assert r["detect_running"] == Detection.RUNNING
    assert r["detect_after_stop"] == Detection.APP  # the window outlives the App


def test_stopping_the_app_releases_a_worker_waiting_in_call(display: str) -> None:
    r = run_scenario("stop_waiting", display)
    assert r["pending_at_stop"] == 1
    assert r["worker_released"], "the worker waiting in call() deadlocked after the App stopped"
    assert r["outcome"] == ["DispatcherClosed"]
    assert r["closed_after_stop"]
    assert not r["app_alive_after_stop"]
    assert r["fresh_dispatcher_after_stop"]


def test_run_until_in_an_embedded_kivy_loop_runs_whole_frames_with_paint(display: str) -> None:
    r = run_scenario("embedded", display)
    assert r["loop_status"] == "started"
    assert r["run_until"]
    assert r["painted_while_pumping"] >= 1, "process_events must run EventLoop.idle() frames"
    assert r["closed_after_stop"]
