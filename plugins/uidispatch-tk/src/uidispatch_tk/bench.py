"""``python -m uidispatch_tk.bench [--json] [--quick]``: the Tk backend's benchmark.

Compares, in one run, uidispatch (``get_dispatcher("tk")`` + ``call_soon`` from workers)
with the naive ``root.after(0, cb, arg)`` from the worker, the common ``queue.Queue`` plus
``after(10)`` polling helper, and the pure-Python floor (a ``SimpleQueue`` whose main
thread blocks in ``get``), on the workloads of BASELINES.md: throughput from 1 and 4
producers, the producer's time per post, idle latency, the longest gap of a 10 ms ``after``
timer during a 100,000-call flood, and idle wake-ups. Each callback is a bare
``list.append``, so the numbers are transport costs.

Each variant runs in a fresh process of this module (``--child``), three rounds (one with
``--quick``), and each figure is the median of the rounds. ``--json`` prints one object
``{"backend": "tk", "rows": [...], "notes": [...]}`` for ``python -m uidispatch bench``;
without it, a table with ratios to the naive ``after(0)``. Progress goes to stderr.
A Tk loop's wake-ups are counted as returns from ``Tcl_DoOneEvent`` (``dooneevent``): each
is one event, timer or idle pass serviced.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from uidispatch._tools._bench_paths import (
    BOUNDED,
    PATHS,
    Owner,
    Produce,
    flood_gaps,
    produce_path,
)

from ._bench_loops import KINDS, VARIANTS, Loop

__all__ = ["FIELDS", "KINDS", "Sizes", "main", "run"]

FIELDS = (
    "thr1",
    "thr4",
    "post_p50_us",
    "post_p99_us",
    "idle_p50_us",
    "idle_p99_us",
    "freeze_ms",
    "idle_wakeups_per_s",
)
# The 8-producer timer gaps per posting path (uidispatch._tools._bench_paths), once per variant.
EXTRA = (
    "freeze8_ms",
    "freeze8_owner_ms",
    "freeze8_key_ms",
    "freeze8_bounded_ms",
    "drain8_bounded_ms",
)
# after(0) from a worker waits for the Tk thread on every post: 800,000 of them take minutes.
NO_MANY_PRODUCERS = frozenset({"after0"})


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    calls: int = 50_000
    post_samples: int = 20_000
    idle_samples: int = 200
    flood: int = 100_000
    idle_seconds: float = 1.0
    rounds: int = 3
    producers: int = 8
    per_producer: int = 100_000
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


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


# ------------------------------------------------------------------------- workloads


def _start(target: Callable[..., object], *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _throughput(loop: Loop, calls: int, producers: int) -> float:
    per = calls // producers
    sink: list[int] = []
    append = sink.append
    go = threading.Event()
    left = [producers]
    end = [0.0]

    def last(_: object) -> None:
        left[0] -= 1  # main thread only
        if not left[0]:
            end[0] = time.perf_counter()
            loop.stop()

    def produce(base: int) -> None:
        go.wait()
        loop.produce(append, base, base + per)
        loop.post(last, None)

    threads = [_start(produce, k * per) for k in range(producers)]
    start = time.perf_counter()
    go.set()
    loop.run()
    for t in threads:
        t.join()
    if len(sink) != per * producers:
        raise AssertionError(f"ran {len(sink)} callbacks, expected {per * producers}")
    seen = [-1] * producers
    for x in sink:
        k = x // per
        if x <= seen[k]:
            raise AssertionError(f"producer {k}'s calls ran out of order or twice")
        seen[k] = x
    return per * producers / (end[0] - start)


def _post_times(loop: Loop, samples: int) -> tuple[float, float]:
    times: list[int] = []
    sink: list[int] = []

    def produce() -> None:
        loop.produce_timed(sink.append, samples, times)
        loop.post(lambda _: loop.stop(), None)

    thread = _start(produce)
    loop.run()
    thread.join()
    return _pct(times, 0.50) / 1000, _pct(times, 0.99) / 1000


def _idle_latency(loop: Loop, samples: int) -> tuple[float, float]:
    lat: list[float] = []
    perf = time.perf_counter

    def record(t: float) -> None:
        lat.append(perf() - t)

    def produce() -> None:
        pause = threading.Event()
        for _ in range(samples):
            pause.wait(0.005)  # one post every 5 ms into an idle loop
            loop.post(record, perf())
        pause.wait(0.02)
        loop.post(lambda _: loop.stop(), None)

    thread = _start(produce)
    loop.run()
    thread.join()
    return _pct(lat, 0.50) * 1e6, _pct(lat, 0.99) * 1e6


def _freeze(loop: Loop, flood: int) -> list[float]:
    sink: list[int] = []
    ticks: list[float] = []
    go = threading.Event()
    end = [0.0]

    def tick() -> None:
        ticks.append(time.perf_counter())
        if len(ticks) == 2:
            go.set()  # the timer runs: start the flood

    def finish(_: object) -> None:
        end[0] = time.perf_counter()
        loop.stop()

    def produce() -> None:
        go.wait()
        loop.produce(sink.append, 0, flood)
        loop.post(finish, None)

    thread = _start(produce)
    loop.every(0.010, tick)
    loop.run()
    thread.join()
    marks = [*ticks[1:], end[0]]  # from the tick that started the flood to its last call
    return [round((b - a) * 1000, 3) for a, b in itertools.pairwise(marks)]


def _freeze_many(loop: Loop, path: str, sizes: Sizes) -> tuple[float, float | None]:
    """The longest timer gap (ms) while many producers flood on ``path``; ours' longest drain."""
    d = getattr(loop, "dispatcher", None)
    produce: Produce = loop.produce
    if d is not None:
        d.configure(max_pending=None)
        if path == "bounded":
            d.configure(**BOUNDED)
        produce = produce_path(d, path, Owner())
        d._q.max_drain = 0.0  # this flood's longest drain, not the earlier workloads'

    def finish(done: threading.Event) -> None:
        def end(_: object) -> None:
            done.set()
            loop.stop()

        loop.post(end, None)

    def run_main(done: threading.Event, tick: Callable[[], None]) -> None:
        loop.every(0.010, tick)
        loop.run()

    gaps = flood_gaps(run_main, produce, finish, sizes.producers, sizes.per_producer)
    return max(gaps, default=0.0), (d.stats().max_drain_ms if d is not None else None)


def _child(name: str, sizes: Sizes) -> dict[str, Any]:
    """One round of every workload for one variant, in this process."""
    out: dict[str, Any] = {}
    loop = VARIANTS[name]()
    out["thr1"] = _throughput(loop, sizes.calls, 1)
    out["thr4"] = _throughput(loop, sizes.calls, 4)
    out["post_p50_us"], out["post_p99_us"] = _post_times(loop, sizes.post_samples)
    out["idle_p50_us"], out["idle_p99_us"] = _idle_latency(loop, sizes.idle_samples)
    out["freeze_gaps_ms"] = _freeze(loop, sizes.flood)
    out["freeze_ms"] = max(out["freeze_gaps_ms"], default=0.0)
    out["idle_wakeups_per_s"] = loop.idle_wakeups(sizes.idle_seconds)
    if sizes.extras and name not in NO_MANY_PRODUCERS:
        for path in PATHS if hasattr(loop, "dispatcher") else ("plain",):
            gap, drain = _freeze_many(loop, path, sizes)
            out["freeze8_ms" if path == "plain" else f"freeze8_{path}_ms"] = gap
            if path == "bounded":
                out["drain8_bounded_ms"] = drain
    return out


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
) -> dict[str, Any]:
    """Measure ``variants`` and return ``{"backend": "tk", "rows": [...], "notes": [...]}``."""
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
        row: dict[str, Any] = {"variant": name, "kind": KINDS[name]}
        for field in FIELDS + EXTRA:
            values = [r[field] for r in rounds if r.get(field) is not None]
            row[field] = statistics.median(values) if values and error is None else None
        if rounds and error is None:
            # The gap timeline of the median-freeze round: what charts draw.
            timed = sorted(rounds, key=lambda r: float(r["freeze_ms"]))
            row["freeze_gaps_ms"] = timed[len(timed) // 2]["freeze_gaps_ms"]
        row["error"] = error
        rows.append(row)
    return {"backend": "tk", "rows": rows, "notes": _notes(sizes)}


def _table(result: dict[str, Any]) -> str:
    rows = result["rows"]
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
    args = parser.parse_args(argv)
    if args.child:
        sizes = Sizes(**json.loads(args.sizes)) if args.sizes else FULL
        print(json.dumps(_child(args.child, sizes)))
        return 0
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in KINDS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    result = run(
        QUICK if args.quick else FULL,
        variants,
        progress=lambda msg: print(f"tk bench: {msg}", file=sys.stderr, flush=True),
    )
    print(json.dumps(result) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
