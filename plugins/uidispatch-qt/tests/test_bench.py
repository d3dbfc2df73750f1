"""The benchmark's --json path produces the rows the core's ``bench`` command merges."""

from __future__ import annotations

import json
import subprocess
import sys

from uidispatch_qt import bench


def test_quick_json_run_prints_one_object_with_a_well_formed_row_per_variant() -> None:
    cmd = [
        sys.executable,
        "-m",
        "uidispatch_qt.bench",
        "--json",
        "--quick",
        "--scale",
        "0.005",
        "--variant",
        "uidispatch",
        "--variant",
        "signal",
        "--variant",
        "floor",
        "--families",
        "none",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout)
    assert result["backend"] == "qt"
    assert isinstance(result["notes"], list)
    assert result["notes"]
    rows = {row["variant"]: row for row in result["rows"]}
    assert list(rows) == ["uidispatch", "signal", "floor"]
    assert {row["kind"] for row in rows.values()} == {"ours", "naive", "floor"}
    for row in rows.values():
        assert set(row) == {"variant", "kind", "error", "freeze_gaps_ms", *bench.METRICS}
        assert row["freeze_gaps_ms"]  # the flood's gaps, for charts
        assert row["freeze8_ms"] > 0
        assert row["error"] is None, row
        assert row["thr1"] > 0
        assert row["thr4"] > 0
        assert 0 <= row["post_p50_us"] <= row["post_p99_us"]
        assert 0 <= row["idle_p50_us"] <= row["idle_p99_us"]
        assert row["freeze_ms"] > 0
        assert row["idle_wakeups_per_s"] >= 0
    assert rows["uidispatch"]["freeze8_key_ms"] > 0
    assert rows["uidispatch"]["drain8_bounded_ms"] > 0
    assert rows["signal"]["freeze8_key_ms"] is None  # no key= there


def test_every_variant_has_a_kind_the_merged_report_knows() -> None:
    assert set(bench.VARIANTS.values()) <= {"ours", "naive", "helper", "floor"}
    assert list(bench.VARIANTS.values()).count("ours") == 1


def test_quick_json_run_has_guest_mode_async_and_checker_cost_rows() -> None:
    from uidispatch._tools._bench_workloads import AIO_FIELDS

    cmd = [sys.executable, "-m", "uidispatch_qt.bench", "--json", "--quick", "--scale", "0.005"]
    cmd += ["--variant", "signal"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, check=True)
    result = json.loads(out.stdout)
    rows = {row["variant"]: row for row in result["rows"]}
    aio = {v: r for v, r in rows.items() if r.get("family") == "aio"}
    assert {"aio asyncio", "aio asyncio thread"} <= set(aio)
    assert aio["aio asyncio thread"]["kind"] == "naive"
    for name, row in aio.items():
        assert row["error"] is None, row
        for field in AIO_FIELDS:
            assert isinstance(row[field], float), (name, field)
            assert row[field] >= 0, (name, field)
        assert row["aio_updates_per_s"] > 0
    checker = {v: r for v, r in rows.items() if r.get("family") == "checker"}
    assert {
        "checker: worker pure-Python loop",
        "checker: worker own-object Qt calls",
        "checker: UI thread Qt calls",
    } <= set(checker)
    for name, row in checker.items():
        assert row["error"] is None, row
        assert row["off_ms"] > 0, name
        assert row["on_ms"] > 0, name
        assert row["violations"] == 0, name  # own objects and the GUI thread: all legal
