"""The benchmark's code path produces well-formed rows (tiny sizes: not a timing test)."""

from __future__ import annotations

import json

import pytest
from uidispatch_tk import bench

TINY = bench.Sizes(
    calls=400,
    post_samples=200,
    idle_samples=5,
    flood=400,
    idle_seconds=0.05,
    rounds=1,
    per_producer=50,
)


def test_bench_rows_have_the_shape_the_uidispatch_bench_merges() -> None:
    result = bench.run(TINY, timeout=120)
    json.dumps(result)  # one JSON object
    assert result["backend"] == "tk"
    assert [r["variant"] for r in result["rows"]] == list(bench.KINDS)
    for row in result["rows"]:
        assert row["error"] is None, row
        assert row["kind"] == bench.KINDS[row["variant"]]
        assert set(row) == {
            "variant",
            "kind",
            "error",
            "freeze_gaps_ms",
            *bench.FIELDS,
            *bench.EXTRA,
        }
        for field in bench.FIELDS:
            assert isinstance(row[field], float), (row["variant"], field)
            assert row[field] >= 0
        assert row["freeze_gaps_ms"]  # the flood's timer gaps, for charts
        many = row["variant"] not in bench.NO_MANY_PRODUCERS
        assert (row["freeze8_ms"] is not None) == many, row
    rows = {r["variant"]: r for r in result["rows"]}
    for field in bench.EXTRA:  # every posting path of ours
        assert rows["uidispatch"][field] > 0, field
    assert rows["floor"]["freeze8_key_ms"] is None  # no key= there
    assert rows["uidispatch"]["idle_wakeups_per_s"] == 0.0
    assert rows["queue_poll"]["idle_wakeups_per_s"] > 0  # it polls: the contrast we measure
    assert all(isinstance(note, str) for note in result["notes"])


def test_bench_reports_a_failing_variant_as_an_error_row(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(name: str, sizes: bench.Sizes, timeout: float) -> dict[str, float]:
        raise RuntimeError(f"{name} exited with status -11: Segmentation fault")

    monkeypatch.setattr(bench, "_round", crash)
    result = bench.run(TINY, variants=["after0"])
    (row,) = result["rows"]
    assert row["error"] == "RuntimeError: after0 exited with status -11: Segmentation fault"
    assert all(row[field] is None for field in bench.FIELDS)


def test_bench_rejects_an_unknown_variant(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--variants", "uidispatch,nope"])
    assert "unknown variant(s) nope; known: uidispatch, after0, queue_poll, floor" in (
        capsys.readouterr().err
    )


def _check_aio_rows(rows: list[dict[str, object]]) -> None:
    from uidispatch._tools._bench_workloads import AIO_FIELDS

    assert [r["variant"] for r in rows][:1] == ["aio asyncio"]
    assert "aio asyncio thread" in [r["variant"] for r in rows]
    for row in rows:
        assert row["error"] is None, row
        assert row["family"] == "aio"
        for field in AIO_FIELDS:
            value = row[field]
            assert isinstance(value, float), (row["variant"], field)
            assert value >= 0
        assert row["aio_awaits_per_s"] > 0
        assert row["aio_updates_per_s"] > 0
        assert row["aio_gap_ms"] > 0


def test_bench_has_guest_mode_async_and_checker_cost_rows() -> None:
    from uidispatch._tools import _bench_aio, _bench_checker

    result = bench.run(
        TINY,
        variants=["after0"],
        timeout=120,
        aio=_bench_aio.TINY,
        checker=_bench_checker.TINY,
    )
    json.dumps(result)
    aio = [r for r in result["rows"] if r.get("family") == "aio"]
    _check_aio_rows(aio)
    assert {r["variant"]: r["kind"] for r in aio}["aio asyncio thread"] == "naive"
    checker = {r["variant"]: r for r in result["rows"] if r.get("family") == "checker"}
    assert {"checker: worker pure-Python loop", "checker: UI thread Tk calls"} <= set(checker)
    for name, row in checker.items():
        assert row["error"] is None, row
        assert row["off_ms"] > 0, name
        assert row["on_ms"] > 0, name
        assert row["on_off"] == pytest.approx(row["on_ms"] / row["off_ms"])
        assert row["violations"] == 0, name  # every case is legal
    assert any(n.startswith("aio rows:") for n in result["notes"])
    assert any(n.startswith("checker rows:") for n in result["notes"])
