"""The benchmark module compares uidispatch with ``pygame.event.post`` in both kinds of loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_bench_reports_ours_and_the_naive_primitive() -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.run(
        [sys.executable, "-m", "uidispatch_pygame.bench", "--json", "--calls", "400"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["backend"] == "pygame"
    rows = result["rows"]
    # Each loop kind a pygame app runs, ours against the naive primitive in the same one.
    assert sorted((row["loop"], row["kind"]) for row in rows) == [
        ("frame", "naive"),
        ("frame", "ours"),
        ("wait", "naive"),
        ("wait", "ours"),
    ]
    for row in rows:
        assert row["error"] is None, row
        assert row["thr1"] > 0
        assert row["thr4"] > 0
        assert row["freeze_ms"] > 0  # the UI timer's longest gap during the flood
        assert len(row["freeze_gaps_ms"]) >= 1
        assert row["idle_wakeups_per_s"] >= 0
