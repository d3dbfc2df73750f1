"""The benchmark module runs and compares uidispatch with the toolkit's naive primitive."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("gi")


def _bench(*args: str, timeout: float) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "uidispatch_gtk.bench", "--json", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),  # the session's display (the _display fixture)
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


@pytest.fixture(scope="module")
def result(_display: str) -> dict[str, Any]:
    """One run of the bench at a test's sizes (``--calls``: the rows' shapes, not figures)."""
    return _bench("--calls", "400", timeout=240)


def test_bench_reports_ours_and_the_naive_primitive(result: dict[str, Any]) -> None:
    assert result["backend"] == "gtk"
    kinds = {row["kind"]: row for row in result["rows"] if not row.get("family")}
    assert set(kinds) == {"ours", "naive"}
    for row in kinds.values():
        assert row["error"] is None, row
        assert row["thr1"] > 0
        assert row["thr4"] > 0
        assert row["freeze_ms"] > 0  # the UI timer's longest gap during the flood
        assert len(row["freeze_gaps_ms"]) >= 1
        assert row["idle_wakeups_per_s"] >= 0


def test_bench_has_guest_mode_async_rows_against_asyncio_in_a_thread(
    result: dict[str, Any],
) -> None:
    from uidispatch._tools._bench_workloads import AIO_FIELDS

    rows = [r for r in result["rows"] if r.get("family") == "aio"]
    expected = {"aio asyncio": "ours", "aio asyncio thread": "naive"}
    if importlib.util.find_spec("trio") is not None:  # the row of an optional library
        expected["aio trio"] = "ours"
    assert {r["variant"]: r["kind"] for r in rows} == expected
    for row in rows:
        assert row["error"] is None, row
        for field in AIO_FIELDS:
            assert isinstance(row[field], float), (row["variant"], field)
        assert row["aio_awaits_per_s"] > 0
        assert row["aio_updates_per_s"] > 0
        assert row["aio_gap_ms"] > 0  # the UI timer ticked during the awaits
        assert row["aio_idle_wakeups_per_s"] >= 0
    assert any(note.startswith("aio rows:") for note in result["notes"])


@pytest.mark.usefixtures("_display")
def test_the_aio_rows_are_left_out_on_request() -> None:
    rows = _bench("--calls", "40", "--families", "none", timeout=120)["rows"]
    assert rows
    assert [r for r in rows if r.get("family")] == []
