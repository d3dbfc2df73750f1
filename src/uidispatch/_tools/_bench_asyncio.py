"""``python -m uidispatch._tools._bench_asyncio [--json] [--quick]``: the asyncio benchmark.

Measures uidispatch on an asyncio loop against the naive primitive
(``loop.call_soon_threadsafe`` per call, which is also the best existing helper), the
pure-Python handoff floor (a ``SimpleQueue`` whose main thread blocks in ``get``) and the
pure-Python limit (a ``deque`` handed to a spinning consumer), with the workloads of
BASELINES.md: throughput from 1 and 4 producers, the producer's post time, idle latency,
the longest gap of a 10 ms main-thread timer during a flood (and its timeline), and idle
wake-ups; plus, per posting path (plain, ``owner=``, unique ``key=``, ``max_pending`` with
``drop_oldest``), the longest timer gap while 8 producers flood, and unique-key throughput
and post time. Each callback is a bare ``list.append``, so the numbers are transport costs.
The workloads, the floor and the limit are the ones every backend's bench shares
(``_bench_workloads``, ``_bench_variants``); this module adds the asyncio loop's variants.

Prints one JSON object (``{"backend", "rows", "notes"}``, the shape every backend's bench
module prints, merged by ``python -m uidispatch bench``); without ``--json``, a short table.
Progress goes to stderr. Each number is the median of a few rounds in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import selectors
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ._bench_paths import gaps_ms
from ._bench_variants import Floor, Ours, SpinningDeque
from ._bench_workloads import (
    FIELDS,
    KEY_FIELDS,
    PATH_FIELDS,
    Fn,
    Post,
    Sizes,
    Variant,
    flood_marks,
    freeze_many,
    idle_latency,
    merge_rounds,
    opened,
    path_fields,
    post_times,
    throughput,
)

__all__ = ["Sizes", "main", "run"]


FULL = Sizes(idle_seconds=0.5)
QUICK = Sizes(
    calls=5_000,
    post_samples=2_000,
    idle_samples=30,
    flood=10_000,
    idle_seconds=0.1,
    rounds=1,
    per_producer=2_000,
)


def _progress(msg: str) -> None:
    print(f"asyncio bench: {msg}", file=sys.stderr, flush=True)


class _CountingSelector(selectors.DefaultSelector):
    """Counts the loop's wake-ups: every return from ``select`` is one."""

    wakeups = 0

    def select(self, timeout: float | None = None) -> Any:
        events = super().select(timeout)
        self.wakeups += 1
        return events


# ------------------------------------------------------------------------- variants


class _LoopVariant(Variant):
    def open(self) -> None:
        self.selector = _CountingSelector()
        self.loop = asyncio.SelectorEventLoop(self.selector)

    def close(self) -> None:
        self.loop.close()

    def run_main(self, done: threading.Event, tick: Callable[[], None] | None) -> None:
        loop = self.loop
        finished = loop.create_future()

        # ``done`` is set by a callback on this loop, so checking it in a callback is enough.
        def check() -> None:
            if done.is_set():
                if not finished.done():
                    finished.set_result(None)
            elif tick is not None:
                tick()
                loop.call_later(0.01, check)

        self._check = check
        if tick is not None:
            loop.call_later(0.01, check)
        loop.run_until_complete(finished)

    def finisher(self, done: threading.Event) -> Fn:
        def finished(_: object) -> None:
            done.set()
            self._check()  # wake run_main now, not at the next timer check

        return finished

    def idle_wakeups(self, seconds: float) -> float:
        loop = self.loop
        loop.call_soon(lambda: None)  # settle: the first turn runs at once
        loop.call_soon(loop.stop)
        loop.run_forever()
        before = self.selector.wakeups
        loop.call_later(seconds, loop.stop)
        loop.run_forever()
        # One wake-up is the stop timer itself.
        return max(0, self.selector.wakeups - before - 1) / seconds


class _Uidispatch(Ours, _LoopVariant):
    def open(self) -> None:
        from .._core._registry import get_dispatcher

        super().open()
        self.dispatcher = get_dispatcher("asyncio", app=self.loop)

    def close(self) -> None:
        self.dispatcher.close()
        super().close()


class _CallSoonThreadsafe(_LoopVariant):
    name, kind = "call_soon_threadsafe", "naive"

    def poster(self) -> Post:
        return self.loop.call_soon_threadsafe


VARIANTS: tuple[type[Variant], ...] = (_Uidispatch, _CallSoonThreadsafe, Floor, SpinningDeque)

# ------------------------------------------------------------------------- rounds


def _extras(cls: type[Variant], sizes: Sizes) -> dict[str, Any]:
    """The per-path measurements of one round."""
    out: dict[str, Any] = {}
    if issubclass(cls, Ours):
        _progress(f"{cls.name}: unique-key throughput and post time")
        keyed = cls()
        keyed.path = "key"
        out["thr_key"] = opened(keyed, throughput, sizes.calls, 1)
        p50, p99 = opened(keyed, post_times, sizes.post_samples)
        out["post_key_p50_us"], out["post_key_p99_us"] = p50, p99

    def flood_on(path: str) -> tuple[float, float | None]:
        _progress(f"{cls.name}: {sizes.producers} producers x {sizes.per_producer:,}, {path}")
        return opened(cls(), freeze_many, path, sizes.producers, sizes.per_producer)

    out.update(path_fields(cls.paths, flood_on))
    return out


def _round(cls: type[Variant], sizes: Sizes) -> dict[str, Any]:
    """One round of every workload, each on a freshly opened loop."""
    v = cls()
    post_p50, post_p99 = opened(v, post_times, sizes.post_samples)
    idle_p50, idle_p99 = opened(v, idle_latency, sizes.idle_samples)
    out = {
        "thr1": opened(v, throughput, sizes.calls, 1),
        "thr4": opened(v, throughput, sizes.calls, 4),
        "post_p50_us": post_p50,
        "post_p99_us": post_p99,
        "idle_p50_us": idle_p50,
        "idle_p99_us": idle_p99,
        "freeze_gaps_ms": gaps_ms(opened(v, flood_marks, sizes.flood)),
        "idle_wakeups_per_s": opened(v, lambda v: v.idle_wakeups(sizes.idle_seconds)),
        **_extras(cls, sizes),
    }
    out["freeze_ms"] = max(out["freeze_gaps_ms"], default=0.0)
    return out


def _measure(cls: type[Variant], sizes: Sizes) -> dict[str, Any]:
    rounds = []
    for r in range(sizes.rounds):
        _progress(f"{cls.name} round {r + 1}/{sizes.rounds}")
        rounds.append(_round(cls, sizes))
    fields = FIELDS + KEY_FIELDS + PATH_FIELDS
    return {"variant": cls.name, "kind": cls.kind, **merge_rounds(rounds, fields), "error": None}


def run(sizes: Sizes = FULL) -> dict[str, Any]:
    """Run every variant and return the JSON-ready result. Main thread of a fresh process.

    A variant that fails is reported as a row with ``error`` set; the others still run.
    """
    rows: list[dict[str, Any]] = []
    for cls in VARIANTS:
        try:
            rows.append(_measure(cls, sizes))
        except Exception as exc:
            rows.append({"variant": cls.name, "kind": cls.kind, "error": f"{exc!r}"})
    notes = [
        f"asyncio {type(asyncio.get_event_loop_policy()).__name__}, "
        f"Python {sys.version.split()[0]}, median of {sizes.rounds} round(s)",
        f"thr: {sizes.calls:,} calls; freeze: 10 ms loop timer during a {sizes.flood:,}-call "
        "flood; idle: one post every 5 ms",
        f"freeze8: the same timer while {sizes.producers} producers post "
        f"{sizes.per_producer:,} calls each (owner=, unique key=, max_pending=10,000 with "
        "drop_oldest); thr_key/post_key: unique key= per call",
        "spinning deque: the pure-Python limit (its consumer never sleeps: no idle figure)",
        "call_soon_threadsafe is both the naive primitive and the best existing helper",
    ]
    return {"backend": "asyncio", "rows": rows, "notes": notes}


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m uidispatch._tools._bench_asyncio")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="small counts, one round")
    args = parser.parse_args(argv)
    result = run(QUICK if args.quick else FULL)
    if args.json:
        print(json.dumps(result))
    else:
        from ._bench_table import format_backend

        print(format_backend(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
