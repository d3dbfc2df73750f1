"""``python -m uidispatch_tk.bench [--json] [--quick]``: the Tk backend's benchmark.

Compares, in one run, uidispatch (``get_dispatcher("tk")`` + ``call_soon`` from workers)
with the naive ``root.after(0, cb, arg)`` from the worker, the common ``queue.Queue`` plus
``after(10)`` polling helper, and the pure-Python floor (a ``SimpleQueue`` whose main
thread blocks in ``get``), on the workloads of BASELINES.md: throughput from 1 and 4
producers, the producer's time per post, idle latency, the longest gap of a 10 ms ``after``
timer during a 100,000-call flood, and idle wake-ups. Each callback is a bare
``list.append``, so the numbers are transport costs. The workloads are the ones every
backend's bench shares (``uidispatch._tools._bench_workloads``).

Each variant runs in a fresh process of this module (``--child``), three rounds (one with
``--quick``), and each figure is the median of the rounds. ``--json`` prints one object
``{"backend": "tk", "rows": [...], "notes": [...]}`` for ``python -m uidispatch bench``;
without it, a table with ratios to the naive ``after(0)``. Progress goes to stderr.
A Tk loop's wake-ups are counted as returns from ``Tcl_DoOneEvent`` (``dooneevent``): each
is one event, timer or idle pass serviced.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from uidispatch._tools import _bench_aio, _bench_checker
from uidispatch._tools._bench_paths import gaps_ms
from uidispatch._tools._bench_table import add_ratios, family_tables, main_rows
from uidispatch._tools._bench_workloads import (
    FIELDS,
    PATH_FIELDS,
    flood_marks,
    freeze_many,
    idle_latency,
    merge_rounds,
    path_fields,
    post_times,
    throughput,
)
from uidispatch._tools._bench_workloads import Sizes as WorkloadSizes

from ._bench_loops import KINDS, VARIANTS

__all__ = ["FIELDS", "KINDS", "Sizes", "main", "run"]

EXTRA = PATH_FIELDS
"""The 8-producer timer gaps per posting path, once per variant."""
# after(0) from a worker waits for the Tk thread on every post: 800,000 of them take minutes.
NO_MANY_PRODUCERS = frozenset({"after0"})


@dataclass(frozen=True)
class Sizes(WorkloadSizes):
    """How much work each measurement does."""

    extras: bool = True  # the many-producer floods (off in tests that only check shapes)


FULL = Sizes()
QUICK = Sizes(
    calls=10_000,
    post_samples=5_000,
    idle_samples=50,
    flood=30_000,
    idle_seconds=0.3,
    rounds=1,
    per_producer=2_000,
)


def _child(name: str, sizes: Sizes) -> dict[str, Any]:
    """One round of every workload for one variant, on one loop, in this process."""
    out: dict[str, Any] = {}
    loop = VARIANTS[name]()
    loop.open()
    out["thr1"] = throughput(loop, sizes.calls, 1)
    out["thr4"] = throughput(loop, sizes.calls, 4)
    out["post_p50_us"], out["post_p99_us"] = post_times(loop, sizes.post_samples)
    out["idle_p50_us"], out["idle_p99_us"] = idle_latency(loop, sizes.idle_samples, tail=0.02)
    # The flood ends when its last call has run: what this bench has always marked.
    out["freeze_gaps_ms"] = gaps_ms(flood_marks(loop, sizes.flood, end_at_last_call=True))
    out["freeze_ms"] = max(out["freeze_gaps_ms"], default=0.0)
    out["idle_wakeups_per_s"] = loop.idle_wakeups(sizes.idle_seconds)
    if sizes.extras and name not in NO_MANY_PRODUCERS:
        n, per = sizes.producers, sizes.per_producer
        out.update(path_fields(loop.paths, lambda path: freeze_many(loop, path, n, per)))
    return out


def _aio_toolkit() -> _bench_aio.Toolkit:
    from ._bench_loops import label

    return _bench_aio.Toolkit(VARIANTS["uidispatch"], VARIANTS["after0"], label)


def _checker_child(sizes: _bench_checker.CheckerSizes) -> int:
    from ._bench_loops import tk_calls

    cases = [_bench_checker.pure_python(sizes.calls), tk_calls(sizes.toolkit_calls)]
    return _bench_checker.child(cases, sizes.repeats)


# ------------------------------------------------------------------------- driver


def _round(name: str, sizes: Sizes, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "uidispatch_tk.bench", "--child", name]
    cmd += ["--sizes", json.dumps(asdict(sizes))]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise RuntimeError(f"{name} exited with status {proc.returncode}: {tail}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _notes(sizes: Sizes) -> list[str]:
    notes = [
        f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} cpus; "
        f"medians of {sizes.rounds} round(s), each variant in a fresh process",
        f"thr: {sizes.calls:,} calls from 1 worker or 4 x {sizes.calls // 4:,}; freeze: longest "
        f"gap of a 10 ms after() timer during {sizes.flood:,} calls; idle wake-ups: returns "
        "from Tcl_DoOneEvent with nothing posted",
        "after0 blocks the worker on every post until the Tk thread runs it (_tkinter "
        "marshals a worker's Tcl call); queue_poll drains everything per 10 ms poll",
    ]
    try:
        import tkinter

        tcl = tkinter.Tcl()
        threaded = tcl.eval("set tcl_platform(threaded)")
        notes.append(f"Tcl/Tk {tcl.eval('info patchlevel')}, threaded={threaded}")
    except Exception as exc:  # pragma: no cover - no Tcl here
        notes.append(f"Tcl unavailable: {exc}")
    return notes


def run(
    sizes: Sizes = FULL,
    variants: Sequence[str] = tuple(KINDS),
    progress: Callable[[str], object] | None = None,
    timeout: float = 300.0,
    *,
    aio: _bench_aio.AioSizes | None = None,
    checker: _bench_checker.CheckerSizes | None = None,
) -> dict[str, Any]:
    """Measure ``variants`` and return ``{"backend": "tk", "rows": [...], "notes": [...]}``.

    With ``aio``, also the guest-mode async rows; with ``checker``, the wrong-thread
    checker's cost rows (each family in fresh processes of this module).
    """
    rows = []
    for name in variants:
        rounds: list[dict[str, Any]] = []
        error: str | None = None
        for i in range(sizes.rounds):
            if progress is not None:
                progress(f"{name} round {i + 1}/{sizes.rounds}")
            try:
                rounds.append(_round(name, sizes, timeout))
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                break
        merged = merge_rounds(rounds if error is None else [], FIELDS + EXTRA)
        rows.append({"variant": name, "kind": KINDS[name], **merged, "error": error})
    notes = _notes(sizes)
    argv = [sys.executable, "-m", "uidispatch_tk.bench"]
    if aio is not None:
        kinds = _aio_toolkit().kinds()
        rows += _bench_aio.rows(argv, kinds, aio, progress=progress, timeout=timeout)
        notes.append(_bench_aio.note(aio))
    if checker is not None:
        if progress is not None:
            progress("checker rows")
        rows += _bench_checker.rows(argv, timeout=timeout)
        notes.append(_bench_checker.note(checker))
    return {"backend": "tk", "rows": rows, "notes": notes}


def _table(result: dict[str, Any]) -> str:
    rows = main_rows(result["rows"])
    naive = next((r for r in rows if r["kind"] == "naive" and r["error"] is None), None)
    lines = [f"{'variant':<12}" + "".join(f"{f:>20}" for f in FIELDS)]
    for row in rows:
        if row["error"]:
            lines.append(f"{row['variant']:<12}  error: {row['error']}")
            continue
        cells = []
        for field in FIELDS:
            value = row[field]
            base = naive[field] if naive is not None else None
            ratio = f" ({value / base:.2f}x)" if base else ""
            cells.append(f"{value:>12,.1f}{ratio:>8}")
        lines.append(f"{row['variant']:<12}" + "".join(cells))
    add_ratios(result["rows"])
    lines += family_tables(result["rows"])
    lines += ["", "ratios are to the naive after0 row", *result["notes"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m uidispatch_tk.bench")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--variants", default=",".join(KINDS), help="comma-separated subset")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument(
        "--families",
        default="aio,checker",
        help="extra row families: aio (async/await on the UI thread), checker (the "
        "wrong-thread checker's cost); 'none' for neither",
    )
    parser.add_argument("--aio", help=argparse.SUPPRESS)
    parser.add_argument("--aio-sizes", help=argparse.SUPPRESS)
    parser.add_argument("--checker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    checker = _bench_checker.QUICK if args.quick else _bench_checker.CheckerSizes()
    if args.aio:
        return _bench_aio.child(_aio_toolkit(), args.aio, args.aio_sizes)
    if args.checker:
        return _checker_child(checker)
    if args.child:
        sizes = Sizes(**json.loads(args.sizes)) if args.sizes else FULL
        print(json.dumps(_child(args.child, sizes)))
        return 0
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    families = {f.strip() for f in args.families.split(",")}
    unknown = [v for v in variants if v not in KINDS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    result = run(
        QUICK if args.quick else FULL,
        variants,
        progress=lambda msg: print(f"tk bench: {msg}", file=sys.stderr, flush=True),
        aio=(_bench_aio.QUICK if args.quick else _bench_aio.AioSizes())
        if "aio" in families
        else None,
        checker=checker if "checker" in families else None,
    )
    print(json.dumps(result) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
