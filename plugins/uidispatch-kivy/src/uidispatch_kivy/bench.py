"""``python -m uidispatch_kivy.bench [--json] [--quick]``: the kivy backend's benchmark.

Compares, in one run, uidispatch on Kivy's Clock (``get_dispatcher("kivy")`` and
``call_soon`` from workers) with ``Clock.schedule_once(cb, 0)`` per call (the naive
primitive), Kivy's ``@mainthread`` (the helper; it is ``schedule_once`` plus a closure)
and the pure-Python floor (a ``SimpleQueue`` whose main thread blocks in ``get``), on
the workloads of BASELINES.md. Each callback is a bare ``list.append``.

The Kivy main loop is ``Clock.tick()`` then ``Clock.tick_draw()`` in a loop: what
``EventLoop.idle()`` does minus input and painting, paced by the default Clock at
``maxfps`` (60 Hz), with no window, so the numbers are the Clock's and need no display.
A real App would add the paint to every frame and only lengthen frames.

Every variant runs in fresh processes of this module (``--variant NAME``), each field the
median of 3 processes (1 with ``--quick``); a process that crashes becomes a row with an
error. Besides the common fields each Kivy row has ``max_callbacks_per_frame`` and
``frame_max_ms`` (the longest interval between two frames) during the flood, and
``frame_ms`` (the median frame period measured while idle). ``idle_wakeups_per_s`` counts
the Clock events a variant keeps scheduled while nothing is posted (Kivy itself ticks
every frame anyway).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from uidispatch._tools import _bench_aio, _bench_checker
from uidispatch._tools._bench_table import add_ratios, family_tables, main_rows
from uidispatch._tools._bench_workloads import merge_rounds

from ._bench_variants import VARIANTS, aio_toolkit, checker_cases
from ._bench_workloads import EXTRA, FIELDS, SIZES, Sizes, measure_variant

__all__ = ["EXTRA", "FIELDS", "Sizes", "main", "measure_variant", "run"]

KIVY_ENV = {"KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1"}


def _progress(msg: str) -> None:
    print(f"kivy bench: {msg}", file=sys.stderr, flush=True)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in KIVY_ENV.items():
        env.setdefault(key, value)
    return env


def _run_child(name: str, sizes_name: str, env: dict[str, str]) -> dict[str, Any]:
    argv = [sys.executable, "-m", "uidispatch_kivy.bench", "--variant", name, "--sizes", sizes_name]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"exit status {proc.returncode}: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


AIO_SIZES = {"full": _bench_aio.AioSizes(), "quick": _bench_aio.QUICK, "tiny": _bench_aio.TINY}
CHECKER_SIZES = {
    "full": _bench_checker.CheckerSizes(),
    "quick": _bench_checker.QUICK,
    "tiny": _bench_checker.TINY,
}


def run(sizes_name: str = "full", families: Sequence[str] = ()) -> dict[str, Any]:
    """Run every variant in fresh processes; the JSON-ready result (medians per field).

    ``families``: also the guest-mode async rows (``"aio"``) and the wrong-thread
    checker's cost rows (``"checker"``).
    """
    sizes = SIZES[sizes_name]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="uidispatch-kivy-bench-") as home:
        env = _child_env()
        env.setdefault("KIVY_HOME", home)
        for name, cls in VARIANTS.items():
            results, errors = [], []
            for r in range(sizes.rounds):
                _progress(f"{name} process {r + 1}/{sizes.rounds}")
                try:
                    results.append(_run_child(name, sizes_name, env))
                except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
                    errors.append(str(exc))
            merged = merge_rounds(results, FIELDS + EXTRA)
            error = None if results else errors[0]
            rows.append({"variant": name, "kind": cls.kind, **merged, "error": error})
        extra_notes = []
        argv = [sys.executable, "-m", "uidispatch_kivy.bench", "--sizes", sizes_name]
        if "aio" in families:
            aio = AIO_SIZES[sizes_name]
            kinds = aio_toolkit().kinds()
            rows += _bench_aio.rows(argv, kinds, aio, env=env, progress=_progress)
            extra_notes.append(_bench_aio.note(aio))
        if "checker" in families:
            _progress("checker rows")
            rows += _bench_checker.rows(argv, env=env)
            extra_notes.append(_bench_checker.note(CHECKER_SIZES[sizes_name]))
    notes = [
        f"Kivy Clock ticked by Clock.tick()+tick_draw() in a loop (default clock, maxfps "
        f"paced, no window), Python {sys.version.split()[0]}, median of {sizes.rounds} "
        "process(es) per variant",
        f"thr: {sizes.calls:,} calls; freeze: a 10 ms Clock.schedule_interval timer (it fires "
        f"once per frame at 60 Hz) during a {sizes.flood:,}-call flood; idle: one post every 5 ms",
        "max_callbacks_per_frame and frame_max_ms (longest interval between frames) are "
        "taken during the flood; frame_ms is the median idle frame period measured (Kivy's "
        "default Clock undershoots its 1/maxfps sleep, so frames come every ~12.5 ms)",
        "idle_wakeups_per_s: Clock events the variant keeps scheduled per second while idle; "
        "Kivy itself runs maxfps frames per second whatever is posted",
        *extra_notes,
    ]
    return {"backend": "kivy", "rows": rows, "notes": notes}


def _table(result: dict[str, Any]) -> str:
    rows = main_rows(result["rows"])
    naive = next((r for r in rows if r["kind"] == "naive" and not r["error"]), None)
    lines = [
        f"{'variant':<14} {'kind':<6} {'thr1':>16} {'thr4':>16} {'post p50/p99 us':>16} "
        f"{'idle p50/p99 ms':>16} {'freeze ms':>10} {'cb/frame':>9} {'frame ms':>9} "
        f"{'idle wake/s':>11}"
    ]
    for r in rows:
        if r["error"]:
            lines.append(f"{r['variant']:<14} {r['kind']:<6} error: {r['error']}")
            continue

        def ratio(field: str, row: dict[str, Any] = r) -> str:
            if naive is None or not naive.get(field):
                return ""
            return f" x{row[field] / naive[field]:.1f}"

        cbf = r["max_callbacks_per_frame"]
        fmax = r["frame_max_ms"]
        lines.append(
            f"{r['variant']:<14} {r['kind']:<6} {r['thr1'] / 1e3:>8.0f}k{ratio('thr1'):>7} "
            f"{r['thr4'] / 1e3:>8.0f}k{ratio('thr4'):>7} "
            f"{r['post_p50_us']:>7.2f}/{r['post_p99_us']:<8.2f} "
            f"{r['idle_p50_us'] / 1e3:>7.1f}/{r['idle_p99_us'] / 1e3:<8.1f} "
            f"{r['freeze_ms']:>10.1f} {'-' if cbf is None else f'{cbf:.0f}':>9} "
            f"{'-' if fmax is None else f'{fmax:.1f}':>9} {r['idle_wakeups_per_s']:>11.1f}"
        )
    add_ratios(result["rows"])
    lines.extend(family_tables(result["rows"]))
    lines.extend(f"  note: {n}" for n in result["notes"])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m uidispatch_kivy.bench")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="smaller counts, one process each")
    parser.add_argument("--sizes", choices=sorted(SIZES), help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
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
    sizes_name = args.sizes or ("quick" if args.quick else "full")
    if args.aio or args.checker:
        for key, value in KIVY_ENV.items():
            os.environ.setdefault(key, value)
        if args.aio:
            return _bench_aio.child(aio_toolkit(), args.aio, args.aio_sizes)
        checker = CHECKER_SIZES[sizes_name]
        return _bench_checker.child(
            checker_cases(checker.calls, checker.toolkit_calls), checker.repeats
        )
    if args.variant is not None:
        # A child: one variant, one process; Kivy is imported here, after its environment.
        for key, value in KIVY_ENV.items():
            os.environ.setdefault(key, value)
        print(json.dumps(measure_variant(args.variant, SIZES[sizes_name])))
        return 0
    result = run(sizes_name, [f.strip() for f in args.families.split(",")])
    print(json.dumps(result) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
