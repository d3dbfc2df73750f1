"""``uidispatch bench --plot`` and ``--from``: charts drawn from a saved report."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from uidispatch._tools._bench import run_bench_cli


def _row(variant: str, kind: str, thr1: float, gaps: list[float] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"variant": variant, "kind": kind, "thr1": thr1, "thr4": thr1 * 1.5}
    if gaps is not None:
        row["freeze_gaps_ms"] = gaps
    return row


def _report() -> dict[str, Any]:
    return {
        "uidispatch": "0.1.0",
        "python": "3.11.7",
        "platform": "test",
        "quick": True,
        "repeat": 1,
        "skipped": {},
        "backends": [
            {
                "backend": "tk",
                "notes": [],
                "rows": [
                    _row("uidispatch", "ours", 600_000.0, [10.0, 11.0, 19.0, 10.0]),
                    _row("after0", "naive", 20_000.0, [10.0, 180.0, 10.0]),
                    _row("queue_poll", "helper", 350_000.0),
                ],
            },
            {"backend": "kivy", "notes": [], "rows": [_row("uidispatch", "ours", 1.0e6)]},
            {"backend": "qt", "error": "crashed", "rows": []},
        ],
    }


def _cli(tmp_path: Path, *args: str, report: dict[str, Any] | None = None) -> tuple[int, str]:
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(report if report is not None else _report()))
    out, err = io.StringIO(), io.StringIO()
    rc = run_bench_cli(
        out,
        err,
        names=None,
        as_json=False,
        quick=True,
        repeat=None,
        timeout=None,
        from_json=str(saved),
        plot=args[0] if args else None,
    )
    return rc, err.getvalue()


def test_from_shows_a_saved_report_without_running(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(_report()))
    rc = run_bench_cli(
        out, err, names=None, as_json=False, quick=False, repeat=None, timeout=None,
        from_json=str(saved),
    )  # fmt: skip
    assert "after0" in out.getvalue()
    assert "qt" in out.getvalue()
    assert "crashed" in out.getvalue()
    assert rc == 1  # a backend failed in the saved run: the exit status still says so


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"rows": []}'])
def test_from_rejects_what_is_not_a_saved_report(tmp_path: Path, content: str) -> None:
    saved = tmp_path / "bad.json"
    saved.write_text(content)
    err = io.StringIO()
    rc = run_bench_cli(
        io.StringIO(), err, names=None, as_json=False, quick=False, repeat=None,
        timeout=None, from_json=str(saved),
    )  # fmt: skip
    assert rc == 2
    assert "bad.json" in err.getvalue()


def test_plot_writes_both_charts_and_names_backends_without_a_timeline(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    rc, err = _cli(tmp_path, str(tmp_path / "charts"))
    assert rc == 1
    throughput = (tmp_path / "charts" / "throughput.svg").read_text()
    freeze = (tmp_path / "charts" / "freeze.svg").read_text()
    assert throughput.startswith("<?xml")
    assert "<svg" in throughput
    # Ratios to the naive row of the same backend: 600k / 20k = 30x, 350k / 20k = 18x.
    assert "30x" in throughput
    assert "18x" in throughput
    assert "tk: queue_poll" in throughput
    assert "kivy" not in throughput  # no naive row: no ratio to draw
    assert "max 180 ms" in freeze
    assert "max 19 ms" in freeze
    assert "leaves out (no timeline recorded): kivy" in err


def test_plot_is_reproducible(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    _cli(tmp_path, str(tmp_path / "a"))
    _cli(tmp_path, str(tmp_path / "b"))
    for name in ("throughput.svg", "freeze.svg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_plot_without_matplotlib_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now raises ImportError
    rc, err = _cli(tmp_path, str(tmp_path / "charts"))
    assert rc == 2
    assert "pip install 'uidispatch[bench]'" in err
