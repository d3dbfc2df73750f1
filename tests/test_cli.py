"""``python -m uidispatch doctor``: output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from uidispatch._tools._cli import main


def test_doctor_lists_builtins_and_what_it_would_pick(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["doctor"])
    out = capsys.readouterr().out
    assert status == 0
    assert "asyncio" in out
    assert "virtual" in out
    assert "Auto-detection:" in out
    assert "Worker pool default size:" in out


def test_doctor_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = {b["name"] for b in report["backends"]}
    assert {"asyncio", "virtual"} <= names
    assert "detected" in report
    assert "failed" in report


def test_doctor_reports_failed_plugins_and_exits_nonzero_without_backends(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from uidispatch._tools import _doctor

    monkeypatch.setattr(
        _doctor,
        "doctor_report",
        lambda: {
            "python": "3",
            "platform": "p",
            "compiled": False,
            "build": "interpreted (no compiled extension installed)",
            "backends": [
                {"name": "tk", "loaded": False, "error": "ImportError: x", "usable": False},
            ],
            "failed": {"tk": "ImportError: x"},
            "env": {},
            "env_choice": None,
            "detected": None,
            "detected_reason": "nothing",
            "display": False,
            "pool_default_workers": 12,
            "cpu_count": 2,
        },
    )
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "Plugins that failed to load" in out
    assert "tk: ImportError: x" in out
    assert "No usable backend" in out


def test_module_entry_point_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uidispatch", "doctor"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "uidispatch doctor" in proc.stdout


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
