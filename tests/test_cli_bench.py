"""``python -m uidispatch bench``: the merged report, its table, and how failures show."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from uidispatch._core import _compiled
from uidispatch._tools import _bench
from uidispatch._tools._cli import main

NUMERIC = _bench.FIELDS


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    status = main(["bench", "--json", *argv])
    captured = capsys.readouterr()
    return status, json.loads(captured.out), captured.err


def test_quick_asyncio_bench_reports_ours_naive_and_floor_with_ratios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report, err = run_json(capsys, "--backend", "asyncio", "--quick")
    assert status == 0
    (result,) = report["backends"]
    assert result["backend"] == "asyncio"
    assert result["error"] is None
    assert result["runs"] == 1
    rows = {r["variant"]: r for r in result["rows"]}
    assert {k: rows[k]["kind"] for k in rows} == {
        "uidispatch": "ours",
        "call_soon_threadsafe": "naive",
        "floor": "floor",
        "spinning deque": "limit",
    }
    for row in rows.values():
        assert row["error"] is None
        measured = [f for f in NUMERIC if not (row["kind"] == "limit" and f.startswith("idle_w"))]
        assert all(isinstance(row[f], (int, float)) for f in measured), row
        assert row["freeze8_ms"] > 0  # every variant: 8 producers' plain posts
        assert row["thr1"] > 0
        assert row["thr4"] > 0
        assert row["post_p99_us"] >= row["post_p50_us"] > 0
        assert row["idle_p99_us"] >= row["idle_p50_us"] > 0
        assert row["freeze_ms"] > 0
    # Every posting path of ours, and the timelines charts draw.
    ours = rows["uidispatch"]
    for field in ("thr_key", "post_key_p99_us", "freeze8_owner_ms", "freeze8_key_ms"):
        assert ours[field] > 0, field
    assert ours["freeze8_bounded_ms"] > 0
    assert ours["drain8_bounded_ms"] > 0
    assert rows["call_soon_threadsafe"]["freeze8_key_ms"] is None  # no key= there
    for name in ("uidispatch", "call_soon_threadsafe"):
        timeline = rows[name]["freeze_gaps_ms"]
        assert timeline
        assert max(timeline) == pytest.approx(rows[name]["freeze_ms"])
    # Nothing posted, nothing woken: the asyncio loop sleeps in select.
    assert rows["uidispatch"]["idle_wakeups_per_s"] == 0
    assert rows["call_soon_threadsafe"]["vs_naive"]["thr1"] == pytest.approx(1.0)
    assert rows["uidispatch"]["vs_naive"]["thr1"] == pytest.approx(
        rows["uidispatch"]["thr1"] / rows["call_soon_threadsafe"]["thr1"]
    )
    assert report["quick"] is True
    assert report["repeat"] == 1
    # Progress on stderr: ours and the bench module's own.
    assert "bench: asyncio run 1/1" in err
    assert "asyncio bench: uidispatch round 1/1" in err


def test_table_shows_each_variant_with_ratios_to_the_naive_primitive(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "--backend", "asyncio", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "(xN = value / call_soon_threadsafe)" in out
    lines: dict[str, str] = {}
    for line in out.splitlines():
        if line.strip():
            lines.setdefault(line.split()[0], line)  # the first table's row
    lines["uidispatch"] = next(ln for ln in out.splitlines() if ln.startswith("uidispatch  "))
    assert " ours " in lines["uidispatch"]
    assert "8-producer freeze ms" in out
    assert "x1.00" in lines["call_soon_threadsafe"]
    assert " floor " in lines["floor"]


def test_an_unknown_backend_is_an_error_row_and_exit_status_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report, _ = run_json(capsys, "--backend", "nosuch", "--quick")
    assert status == 1
    (result,) = report["backends"]
    assert result["rows"] == []
    assert "backend 'nosuch' is not installed; installed: asyncio" in result["error"]


def test_a_backend_without_a_bench_module_is_an_error_row_not_a_crash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["bench", "--backend", "virtual,asyncio", "--quick"])
    out = capsys.readouterr().out
    assert status == 1
    assert "virtual 0.1.0: error: no benchmark module uidispatch_virtual.bench" in out
    assert "uidispatch " in out  # the asyncio table still printed


def fake_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(_bench, "bench_module", lambda backend: name)


def test_a_crashing_bench_module_is_reported_with_its_signal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_module(
        tmp_path,
        monkeypatch,
        "crashing_bench",
        """
        import os, sys
        print("about to crash", file=sys.stderr, flush=True)
        os.abort()
        """,
    )
    status, report, err = run_json(capsys, "--backend", "asyncio", "--quick")
    assert status == 1
    error = report["backends"][0]["error"]
    assert error.startswith("crashed with SIGABRT")
    assert "about to crash" in error
    assert "about to crash" in err  # the child's stderr is shown as progress


def test_a_bench_module_printing_no_json_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_module(tmp_path, monkeypatch, "chatty_bench", "print('hello, no json here')\n")
    status, report, _ = run_json(capsys, "--backend", "asyncio", "--quick")
    assert status == 1
    assert "no JSON result on stdout" in report["backends"][0]["error"]


def test_a_hanging_bench_module_is_killed_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_module(
        tmp_path, monkeypatch, "hanging_bench", "import threading\nthreading.Event().wait()\n"
    )
    status, report, _ = run_json(capsys, "--backend", "asyncio", "--quick", "--timeout", "0.5")
    assert status == 1
    assert report["backends"][0]["error"] == "timed out after 0.5 s"


def test_repeat_takes_the_median_of_fresh_processes_and_a_crashing_helper_is_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each process reports a different number (its run index, kept in a file).
    counter = tmp_path / "count"
    counter.write_text("0")
    fake_module(
        tmp_path,
        monkeypatch,
        "counting_bench",
        f"""
        import json, pathlib, sys
        p = pathlib.Path({str(counter)!r})
        n = int(p.read_text()) + 1
        p.write_text(str(n))
        assert "--json" in sys.argv and "--quick" not in sys.argv
        fields = dict(thr1=100.0 * n, thr4=1.0, post_p50_us=1.0, post_p99_us=2.0,
                      idle_p50_us=3.0, idle_p99_us=4.0, freeze_ms=5.0, idle_wakeups_per_s=0.0)
        rows = [dict(variant="ours", kind="ours", error=None, **fields),
                dict(variant="naive", kind="naive", error=None, **dict(fields, thr1=50.0)),
                dict(variant="helper", kind="helper", error="crashed (SIGSEGV)")]
        print(json.dumps(dict(backend="asyncio", rows=rows, notes=["fake"])))
        """,
    )
    status, report, err = run_json(capsys, "--backend", "asyncio", "--repeat", "3")
    assert status == 0  # only our own variant failing fails the command
    result = report["backends"][0]
    assert result["runs"] == 3
    rows = {r["variant"]: r for r in result["rows"]}
    assert rows["ours"]["thr1"] == 200.0  # median of 100, 200, 300
    assert rows["ours"]["vs_naive"]["thr1"] == 4.0
    assert rows["helper"]["error"] == "crashed (SIGSEGV)"
    build = f"uidispatch build: {_compiled.reason}"
    assert result["notes"] == ["fake", build, "median of 3 processes"]
    assert err.count("done in") == 3


def test_merge_rows_keeps_an_error_only_when_every_run_failed() -> None:
    ok = {"variant": "v", "kind": "ours", "error": None, "thr1": 10.0}
    bad = {"variant": "v", "kind": "ours", "error": "boom"}
    (partial,) = _bench.merge_rows([[ok], [bad], [dict(ok, thr1=30.0)]])
    assert partial["error"] is None
    assert partial["failed_runs"] == 1
    assert partial["thr1"] == 20.0
    assert partial["freeze_ms"] is None
    (failed,) = _bench.merge_rows([[bad], [bad]])
    assert failed["error"] == "boom"


def _family_result() -> dict[str, Any]:
    main_rows = [
        {"variant": "ours", "kind": "ours", "error": None, "thr1": 40.0},
        {"variant": "naive", "kind": "naive", "error": None, "thr1": 10.0},
    ]
    aio = [
        {"variant": "aio asyncio", "kind": "ours", "family": "aio", "error": None,
         "aio_awaits_per_s": 90_000.0, "aio_updates_per_s": 30_000.0, "aio_gap_ms": 17.0,
         "aio_idle_wakeups_per_s": 0.0},
        {"variant": "aio asyncio thread", "kind": "naive", "family": "aio", "error": None,
         "aio_awaits_per_s": 300_000.0, "aio_updates_per_s": 5_000.0, "aio_gap_ms": 10.0,
         "aio_idle_wakeups_per_s": 0.0},
    ]  # fmt: skip
    checker = [
        {"variant": "checker: UI thread Tk calls", "kind": "checker", "family": "checker",
         "error": None, "off_ms": 20.0, "on_ms": 25.0, "on_off": 1.25, "violations": 0,
         "watch": "monitoring"},
        {"variant": "checker: worker own-object Qt calls", "kind": "checker",
         "family": "checker", "error": "exit status 1: boom"},
    ]  # fmt: skip
    return {"backend": "tk", "rows": main_rows + aio + checker, "notes": []}


def test_family_rows_take_ratios_against_their_own_naive_row() -> None:
    result = _family_result()
    _bench.add_ratios(result["rows"])
    rows = {r["variant"]: r for r in result["rows"]}
    assert rows["ours"]["vs_naive"]["thr1"] == 4.0
    assert rows["aio asyncio"]["vs_naive"]["aio_updates_per_s"] == 6.0
    assert rows["aio asyncio thread"]["vs_naive"]["aio_awaits_per_s"] == 1.0
    assert "thr1" not in rows["aio asyncio"]["vs_naive"]
    assert "vs_naive" not in rows["checker: UI thread Tk calls"]  # no naive row there


def test_family_rows_have_their_own_tables_and_never_fail_the_run() -> None:
    result = _family_result()
    text = _bench.format_backend(result)
    main_table, _, rest = text.partition("async on the UI thread")
    assert "aio asyncio" not in main_table  # not in the posting table
    assert "checker:" not in main_table
    assert "(xN = value / aio asyncio thread)" in rest
    assert "30k x6.00" in rest  # update + await round trips, against the naive way
    assert "x1.25" in rest
    assert "monitoring" in rest
    assert "checker: worker own-object Qt calls" in rest
    assert "exit status 1: boom" in rest
    assert not _bench._failed(result)
    result["rows"][0]["error"] = "crashed"
    assert _bench._failed(result)


def test_merge_rows_takes_medians_of_family_fields() -> None:
    runs = [[dict(r)] for r in _family_result()["rows"][2:3]] * 2
    runs.append([dict(_family_result()["rows"][2], aio_updates_per_s=60_000.0)])
    (row,) = _bench.merge_rows(runs)
    assert row["family"] == "aio"
    assert row["aio_updates_per_s"] == 30_000.0
    assert row["aio_gap_ms"] == 17.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--repeat", "0"], "argument --repeat: must be an integer >= 1, got '0'"),
        (["--repeat", "x"], "argument --repeat: must be an integer >= 1, got 'x'"),
        (["--timeout", "-1"], "argument --timeout: must be a number of seconds > 0, got '-1'"),
    ],
)
def test_bad_options_exit_with_usage_naming_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["bench", *argv])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_default_backends_exclude_virtual() -> None:
    names = _bench.default_backends()
    assert "asyncio" in names
    assert "virtual" not in names


def test_by_default_backends_without_a_bench_module_are_skipped_not_failed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_bench, "default_backends", lambda: ["asyncio", "toy"])
    assert main(["bench", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "toy: skipped: no benchmark module uidispatch_toy.bench" in out
    assert "(xN = value / call_soon_threadsafe)" in out


def test_rows_of_a_loop_kind_are_compared_with_the_naive_row_of_that_loop() -> None:
    # pygame measures a frame loop and an event-wait loop: each against its own primitive.
    rows: list[dict[str, Any]] = [
        {"variant": "post frame", "kind": "naive", "loop": "frame", "thr1": 100.0},
        {"variant": "ours frame", "kind": "ours", "loop": "frame", "thr1": 150.0},
        {"variant": "post wait", "kind": "naive", "loop": "wait", "thr1": 300.0},
        {"variant": "ours wait", "kind": "ours", "loop": "wait", "thr1": 600.0},
    ]
    _bench.add_ratios(rows)
    assert [r["vs_naive"]["thr1"] for r in rows] == [1.0, 1.5, 1.0, 2.0]
