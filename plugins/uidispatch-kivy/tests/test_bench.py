"""The benchmark's ``--json`` path produces well-formed rows (tiny counts; not a timing test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from uidispatch_kivy.bench import EXTRA, FIELDS

from uidispatch._tools._bench_workloads import AIO_FIELDS


def test_bench_json_has_one_well_formed_row_per_variant() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uidispatch_kivy.bench", "--json", "--sizes", "tiny"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, "--json prints exactly one JSON object"
    result = json.loads(lines[0])
    assert result["backend"] == "kivy"
    assert isinstance(result["notes"], list)
    assert result["notes"]
    every = {row["variant"]: row for row in result["rows"]}
    rows = {v: r for v, r in every.items() if not r.get("family")}
    assert {v: r["kind"] for v, r in rows.items()} == {
        "uidispatch": "ours",
        "schedule_once": "naive",
        "mainthread": "helper",
        "floor": "floor",
    }
    for variant, row in rows.items():
        assert row["error"] is None, f"{variant}: {row['error']}"
        for field in FIELDS:
            value = row[field]
            assert isinstance(value, (int, float)), f"{variant}.{field} = {value!r}"
            assert value >= 0, f"{variant}.{field} = {value!r}"
        assert row["thr1"] > 0
        assert row["thr4"] > 0
        frames = ("max_callbacks_per_frame", "frame_max_ms", "frame_ms")
        for field in EXTRA:
            assert field in row
            if field.startswith(("freeze8", "drain8")):
                # 8 producers: every variant plain, ours on every posting path
                if field == "freeze8_ms" or variant == "uidispatch":
                    assert row[field] > 0, f"{variant}.{field} = {row[field]!r}"
                else:
                    assert row[field] is None, f"{variant}.{field} = {row[field]!r}"
            elif variant == "floor":
                assert field in frames
                assert row[field] is None, "the floor has no frames"
            else:
                assert row[field] > 0, f"{variant}.{field} = {row[field]!r}"
        assert row["freeze_gaps_ms"], "the flood's timer gaps, for charts"
    assert rows["uidispatch"]["idle_wakeups_per_s"] == 0, "an idle dispatcher kept the Clock busy"
    aio = {v: r for v, r in every.items() if r.get("family") == "aio"}
    assert {"aio asyncio", "aio asyncio thread"} <= set(aio)
    for name, row in aio.items():
        assert row["error"] is None, f"{name}: {row['error']}"
        for field in AIO_FIELDS:
            assert isinstance(row[field], float), (name, field)
            assert row[field] >= 0, (name, field)
        assert row["aio_updates_per_s"] > 0
    checker = {v: r for v, r in every.items() if r.get("family") == "checker"}
    assert "checker: UI thread Kivy property sets" in checker
    for name, row in checker.items():
        assert row["error"] is None, f"{name}: {row['error']}"
        assert row["off_ms"] > 0, name
        assert row["on_ms"] > 0, name
        assert row["violations"] == 0, name
