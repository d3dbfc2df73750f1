"""Benchmark: uidispatch's ``qt`` backend against Qt's own ways of reaching the GUI thread.

Run ``python -m uidispatch_qt.bench [--json] [--quick]``. Each variant runs in a fresh
subprocess of this module (medians of 3 processes, 1 with ``--quick``); a variant that
crashes (superqt's ``ensure_main_thread`` does under back-to-back posting, BASELINES.md)
gets the crash as its row's ``error`` and its remaining phases rerun in a new process.
Every callback is a bare ``list.append``, so the numbers are pure transport costs.

Phases: ``thr1``/``thr4`` (calls/s, 50,000 calls from 1 worker or 4 x 12,500, first post
to last callback, all exactly once and in per-producer order), ``post`` (worker time per
post), ``idle`` (one post every 5 ms to an idle loop, post-to-run latency), ``freeze``
(longest gap of a 10 ms repeating GUI timer while a worker posts 100,000 calls flat out),
``wakeups`` (``QAbstractEventDispatcher.awake`` signals per second with nothing posted).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from typing import Any

from uidispatch._tools import _bench_aio, _bench_checker
from uidispatch._tools._bench_table import add_ratios, family_tables, main_rows
from uidispatch._tools._bench_workloads import FIELDS, PATH_FIELDS, merge_rounds

from ._bench_child import PHASES, phase_timeout, run_child

__all__ = ["VARIANTS", "main", "run_benchmark"]

VARIANTS: dict[str, str] = {
    "uidispatch": "ours",
    "signal": "naive",
    "superqt_ensure_main_thread": "helper",
    "qasync_call_soon_threadsafe": "helper",
    "singleshot": "helper",
    "floor": "floor",
}
"""Variant name -> kind, in table order."""

METRICS = FIELDS + PATH_FIELDS
"""Every figure of a row, in order."""
NOTES = [
    "each variant runs in its own subprocess; medians of the runs per metric",
    "thr: calls/s from the first post to the last callback; all ran once, in order",
    "idle_wakeups_per_s: QAbstractEventDispatcher.awake signals with nothing posted "
    "(the floor blocks in SimpleQueue.get and wakes only for items)",
    "freeze_ms: longest gap of a 10 ms PreciseTimer while one worker posts flat out",
    "freeze8: the same while 8 workers post 100,000 calls each, per posting path of ours "
    "(owner=, unique key=, max_pending=10,000 with drop_oldest)",
    "2 shared cores: compare ratios within one run, not absolute numbers across runs",
]

HUNG = "hung"

# --------------------------------------------------------------------------- parent


def _run_variant(
    variant: str, scale: float, skip: set[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Run one variant's phases in a fresh process (another after each crash).

    Returns the metrics and, per failed phase, why it failed. Phases in ``skip`` (hung
    in an earlier run) are not run again.
    """
    row: dict[str, Any] = {}
    failures: dict[str, str] = {}
    todo = [p for p in PHASES if p not in skip]
    while todo:
        cmd = [sys.executable, "-m", "uidispatch_qt.bench", "--child", variant]
        cmd += ["--phases", ",".join(todo), "--scale", str(scale)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            out, err, code = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:  # a last resort: phases time themselves
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
            code = None
        for line in out.splitlines():
            result = json.loads(line)
            phase = result.pop("phase")
            todo.remove(phase)
            if "error" in result:
                failures[phase] = result.pop("error")
            row.update(result)
        if todo:
            started = [x.split()[1] for x in err.splitlines() if x.startswith("phase ")]
            phase = started[-1] if started else todo[0]
            if code is None or "Timeout (0:" in err:
                failures[phase] = HUNG
            elif code < 0:
                failures[phase] = f"crashed ({signal.Signals(-code).name})"
            else:
                last = err.strip().splitlines()[-1:] or ["no output"]
                failures[phase] = f"failed (exit {code}: {last[0][:200]})"
            todo.remove(phase)
    return row, failures


def run_benchmark(
    runs: int = 3,
    scale: float = 1.0,
    variants: list[str] | None = None,
    *,
    aio: _bench_aio.AioSizes | None = None,
    checker: _bench_checker.CheckerSizes | None = None,
) -> dict[str, Any]:
    """Run every variant ``runs`` times in fresh processes; the JSON-shaped result.

    With ``aio``, also the guest-mode async rows; with ``checker``, the wrong-thread
    checker's cost rows. Main thread of a process without a Qt application (it starts
    subprocesses only).
    """
    rows = []
    for variant in variants or list(VARIANTS):
        results: list[dict[str, Any]] = []
        failed: dict[str, list[str]] = {}
        for _ in range(runs):
            hung = {p for p, whys in failed.items() if HUNG in whys}
            metrics, failures = _run_variant(variant, scale, hung)
            results.append(metrics)
            for phase, why in failures.items():
                failed.setdefault(phase, []).append(why)
        row: dict[str, Any] = {"variant": variant, "kind": VARIANTS[variant]}
        row.update(merge_rounds(results, METRICS, ndigits=2))
        errors = []
        for phase in PHASES:
            if phase in failed:
                whys = failed[phase]
                counts = ", ".join(
                    f"{why} in {whys.count(why)} of {runs} runs" for why in sorted(set(whys))
                )
                if HUNG in whys:
                    counts += f" (over {phase_timeout(scale):.0f} s; not run again)"
                errors.append(f"{phase}: {counts}")
        row["error"] = "; ".join(errors) or None
        rows.append(row)
    notes = [*NOTES, _versions()]
    argv = [sys.executable, "-m", "uidispatch_qt.bench"]
    if aio is not None:
        from ._bench_loops import aio_toolkit

        rows += _bench_aio.rows(argv, aio_toolkit().kinds(), aio, progress=_progress)
        notes.append(_bench_aio.note(aio))
    if checker is not None:
        _progress("checker rows")
        rows += _bench_checker.rows(argv)
        notes.append(_bench_checker.note(checker))
    return {"backend": "qt", "rows": rows, "notes": notes}


def _progress(msg: str) -> None:
    print(f"qt bench: {msg}", file=sys.stderr, flush=True)


def _versions() -> str:
    import importlib.metadata as md

    from ._api import choose

    try:
        binding = choose().module
    except (ImportError, ValueError):
        binding = "PySide6"
    binding = {"PySide6": "PySide6-Essentials"}.get(binding, binding)
    parts = [f"Python {sys.version.split()[0]}"]
    for dist in (binding, "qasync", "superqt"):
        try:
            parts.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            parts.append(f"{dist} missing")
    return ", ".join(parts)


def _table(result: dict[str, Any]) -> str:
    rows = main_rows(result["rows"])
    naive = next((r for r in rows if r["kind"] == "naive"), None)
    head = ["variant", *METRICS, "thr1/naive", "thr4/naive"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        cells = [r["variant"]]
        cells += ["-" if r[m] is None else f"{r[m]:,.1f}" for m in METRICS]
        for m in ("thr1", "thr4"):
            base = naive[m] if naive else None
            cells.append(f"{r[m] / base:.1f}x" if r[m] and base else "-")
        lines.append(" | ".join(cells))
        if r["error"]:
            lines.append(f"  ({r['variant']} error: {r['error']})")
    add_ratios(result["rows"])
    lines += family_tables(result["rows"])
    return "\n".join(lines + [f"- {n}" for n in result["notes"]])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m uidispatch_qt.bench``)."""
    parser = argparse.ArgumentParser(
        prog="python -m uidispatch_qt.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="one process per variant, fewer calls")
    parser.add_argument(
        "--variant",
        action="append",
        choices=list(VARIANTS),
        help="run only this variant (repeatable)",
    )
    parser.add_argument("--scale", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--phases", default=",".join(PHASES), help=argparse.SUPPRESS)
    parser.add_argument(
        "--families",
        default="aio,checker",
        help="extra row families: aio (async/await on the GUI thread), checker (the "
        "wrong-thread checker's cost); 'none' for neither",
    )
    parser.add_argument("--aio", help=argparse.SUPPRESS)
    parser.add_argument("--aio-sizes", help=argparse.SUPPRESS)
    parser.add_argument("--checker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scale = args.scale if args.scale is not None else (0.4 if args.quick else 1.0)
    checker = _bench_checker.QUICK if args.quick else _bench_checker.CheckerSizes()
    aio = _bench_aio.QUICK if args.quick else _bench_aio.AioSizes()
    if scale < 0.05:  # a test's scale: the families' shapes, not their figures
        checker, aio = _bench_checker.TINY, _bench_aio.TINY
    if args.aio:
        from ._bench_loops import aio_toolkit

        _bench_aio.child(aio_toolkit(), args.aio, args.aio_sizes)
        os._exit(0)  # as run_child: skip a teardown that some helpers crash in
    if args.checker:
        from ._bench_loops import checker_cases

        _bench_checker.child(checker_cases(checker.calls, checker.toolkit_calls), checker.repeats)
        os._exit(0)
    if args.child:
        run_child(args.child, args.phases.split(","), scale)
    families = {f.strip() for f in args.families.split(",")}
    result = run_benchmark(
        1 if args.quick else 3,
        scale,
        args.variant,
        aio=aio if "aio" in families else None,
        checker=checker if "checker" in families else None,
    )
    print(json.dumps(result) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
