"""The benchmark module runs and compares uidispatch with the toolkit's naive primitive."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def test_bench_reports_ours_and_the_naive_primitive() -> None:
    pytest.importorskip("gi")
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, "-m", "uidispatch_gtk.bench", "--json", "--calls", "400"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["backend"] == "gtk"
    kinds = {row["kind"]: row for row in result["rows"]}
    assert set(kinds) == {"ours", "naive"}
    for row in kinds.values():
        assert row["error"] is None, row
        assert row["thr1"] > 0
        assert row["thr4"] > 0
        assert row["freeze_ms"] > 0  # the UI timer's longest gap during the flood
        assert len(row["freeze_gaps_ms"]) >= 1
        assert row["idle_wakeups_per_s"] >= 0
