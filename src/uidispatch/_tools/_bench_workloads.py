"""The benchmark workloads every backend's bench module shares (BASELINES.md).

A bench module describes each way of handing calls to its main thread as a
:class:`Variant`: the worker's ``post(fn, arg)``, its flat-out producer loops, the main
loop (run until a finishing call has run on it, with an optional 10 ms UI timer) and that
finishing call. The workloads here take an open variant and measure throughput from
several producers, the producer's time per post, idle latency, the UI timer's ticks
during a one-producer flood and, per posting path, the longest timer gap while many
producers flood. Each callback is a bare ``list.append``, so the numbers are transport
costs. A module runs the workloads in its own order and process layout, and
:func:`merge_rounds` takes the medians of its rounds.

The variants every backend shares (uidispatch itself, the pure-Python floor and limit)
are in ``_bench_variants``; the posting paths of ``Dispatcher.call_soon`` in
``_bench_paths``.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from ._bench_paths import BOUNDED, Owner, Produce, flood_gaps, produce_path

__all__ = [
    "AIO_FIELDS",
    "CHECKER_FIELDS",
    "FIELDS",
    "KEY_FIELDS",
    "PATH_FIELDS",
    "Fn",
    "Post",
    "Sizes",
    "Tick",
    "Variant",
    "flood_marks",
    "freeze_many",
    "idle_latency",
    "merge_rounds",
    "opened",
    "path_fields",
    "pct",
    "post_times",
    "throughput",
]

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
"""The fields every backend's rows have (``python -m uidispatch bench`` merges them)."""
KEY_FIELDS = ("thr_key", "post_key_p50_us", "post_key_p99_us")
"""One producer's throughput and post time with a unique ``key=`` per call."""
PATH_FIELDS = (
    "freeze8_ms",
    "freeze8_owner_ms",
    "freeze8_key_ms",
    "freeze8_bounded_ms",
    "drain8_bounded_ms",
)
"""The longest UI timer gap (ms) while 8 producers flood, per posting path,
and the longest drain of the bounded one (:func:`path_fields`)."""
AIO_FIELDS = ("aio_awaits_per_s", "aio_updates_per_s", "aio_gap_ms", "aio_idle_wakeups_per_s")
"""A guest-mode async row's figures (``family: "aio"``, ``_bench_aio``)."""
CHECKER_FIELDS = ("off_ms", "on_ms", "on_off")
"""A wrong-thread checker row's figures (``family: "checker"``, ``_bench_checker``)."""


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does, and how many rounds of them a variant gets."""

    calls: int = 50_000
    """:func:`throughput`: calls per run, from 1 producer or split among 4."""
    post_samples: int = 20_000
    """:func:`post_times`: posts timed."""
    idle_samples: int = 200
    """:func:`idle_latency`: posts, 5 ms apart."""
    flood: int = 100_000
    """:func:`flood_marks`: calls in the one-producer flood."""
    idle_seconds: float = 1.0
    """How long :meth:`Variant.idle_wakeups` counts."""
    rounds: int = 3
    """Rounds (or processes) per variant; each figure is their median."""
    producers: int = 8
    """:func:`freeze_many`: producers in the many-producer flood ..."""
    per_producer: int = 100_000
    """... and the calls each posts."""


Fn = Callable[[Any], object]
Post = Callable[[Fn, Any], object]
Tick = Callable[[], None]
P = ParamSpec("P")
T = TypeVar("T")


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank below; 0.0 for none)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _start(target: Callable[..., object], *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


class Variant:
    """One way of handing calls to the main thread, and a main loop that runs them."""

    name = ""
    kind = ""
    """``ours``, ``naive``, ``helper``, ``floor`` or ``limit`` (``_bench`` says which is what)."""
    paths: tuple[str, ...] = ("plain",)
    """The posting paths :func:`freeze_many` floods this variant on."""

    def open(self) -> None:
        """Create the loop (or queue) for one measurement, on the main thread."""

    def close(self) -> None:
        """Release what :meth:`open` created."""

    def poster(self) -> Post:
        """The worker's ``post(fn, arg)``."""
        raise NotImplementedError

    def produce(self, fn: Fn, start: int, stop: int) -> None:
        """Post ``fn(i)`` for ``i`` in ``range(start, stop)`` flat out (worker thread)."""
        post = self.poster()
        for i in range(start, stop):
            post(fn, i)

    def produce_timed(self, fn: Fn, n: int, times: list[int]) -> None:
        """Post ``fn(i)`` ``n`` times, recording each post's duration in ns."""
        post = self.poster()
        pc = time.perf_counter_ns
        record = times.append
        for i in range(n):
            t = pc()
            post(fn, i)
            record(pc() - t)

    def run_main(self, done: threading.Event, tick: Tick | None) -> None:
        """Run the main loop until a :meth:`finisher` call has run; ``tick`` every 10 ms."""
        raise NotImplementedError

    def finisher(self, done: threading.Event) -> Fn:
        """The call, posted last, that sets ``done`` and so ends :meth:`run_main`."""
        return lambda _: done.set()

    def idle_wakeups(self, seconds: float) -> float:
        """Wake-ups per second of the idle main loop."""
        raise NotImplementedError


def opened(
    variant: Variant, work: Callable[Concatenate[Variant, P], T], *args: P.args, **kw: P.kwargs
) -> T:
    """``work(variant, *args)`` between ``variant.open()`` and ``variant.close()``."""
    variant.open()
    try:
        return work(variant, *args, **kw)
    finally:
        variant.close()


# ------------------------------------------------------------------------- workloads


def throughput(variant: Variant, calls: int, producers: int) -> float:
    """Calls per second from ``producers`` workers, first post to last call.

    Checks that every call ran once, in its producer's order.
    """
    post = variant.poster()
    sink: list[int] = []
    append = sink.append
    done = threading.Event()
    go = threading.Event()
    per = calls // producers
    left = [producers]
    lock = threading.Lock()
    end = [0.0]
    finish = variant.finisher(done)

    def last(_: object) -> None:
        with lock:
            left[0] -= 1
            if left[0]:
                return
        end[0] = time.perf_counter()
        finish(None)

    def produce(base: int) -> None:
        go.wait()
        variant.produce(append, base, base + per)
        post(last, None)

    threads = [_start(produce, k * per) for k in range(producers)]
    start = time.perf_counter()
    go.set()
    variant.run_main(done, None)
    for t in threads:
        t.join()
    _check_order(sink, per, producers)
    return per * producers / (end[0] - start)


def _check_order(sink: list[int], per: int, producers: int) -> None:
    if len(sink) != per * producers:
        raise AssertionError(f"ran {len(sink)} callbacks, expected {per * producers}")
    last = [-1] * producers
    for x in sink:
        k = x // per
        if x <= last[k]:
            raise AssertionError(f"producer {k}'s calls ran out of order or twice")
        last[k] = x


def post_times(variant: Variant, samples: int) -> tuple[float, float]:
    """A worker's time per post in µs, median and 99th percentile, over ``samples`` posts."""
    post = variant.poster()
    sink: list[int] = []
    times: list[int] = []
    done = threading.Event()
    finish = variant.finisher(done)

    def produce() -> None:
        variant.produce_timed(sink.append, samples, times)
        post(finish, None)

    thread = _start(produce)
    variant.run_main(done, None)
    thread.join()
    return pct(times, 0.50) / 1000, pct(times, 0.99) / 1000


def idle_latency(variant: Variant, samples: int, *, tail: float = 0.0) -> tuple[float, float]:
    """Post-to-run latency in µs (median, 99th) of one post every 5 ms into an idle loop.

    ``tail``: seconds the worker waits after the last sample before the finishing post.
    """
    post = variant.poster()
    lat: list[float] = []
    perf = time.perf_counter
    done = threading.Event()
    finish = variant.finisher(done)

    def record(t: float) -> None:
        lat.append(perf() - t)

    def produce() -> None:
        pause = threading.Event()
        for _ in range(samples):
            pause.wait(0.005)  # one post every 5 ms into an idle loop
            post(record, perf())
        if tail:
            pause.wait(tail)
        post(finish, None)

    thread = _start(produce)
    variant.run_main(done, None)
    thread.join()
    return pct(lat, 0.50) * 1e6, pct(lat, 0.99) * 1e6


def flood_marks(
    variant: Variant,
    flood: int,
    *,
    end_at_last_call: bool = False,
    sink: list[int] | None = None,
    started: threading.Event | None = None,
) -> list[float]:
    """One worker posts ``flood`` calls flat out; the 10 ms UI timer's ticks during it.

    The flood starts at the timer's second tick, the first mark; the last mark is its
    end: when the main loop has returned or, with ``end_at_last_call``, when the last
    call ran (each backend keeps the mark its figures have always used). ``sink`` (the
    list the calls append to) and ``started`` (set as the flood starts) let a caller
    watch the flood from its main loop.
    """
    post = variant.poster()
    sink = [] if sink is None else sink
    append = sink.append
    ticks: list[float] = []
    done = threading.Event()
    go = threading.Event() if started is None else started
    finish = variant.finisher(done)
    end = [0.0]

    def tick() -> None:
        ticks.append(time.perf_counter())
        if len(ticks) == 2:
            go.set()  # the timer runs: start the flood

    def last(_: object) -> None:
        end[0] = time.perf_counter()
        finish(None)

    def produce() -> None:
        go.wait()
        variant.produce(append, 0, flood)
        post(last if end_at_last_call else finish, None)

    thread = _start(produce)
    variant.run_main(done, tick)
    returned = time.perf_counter()
    thread.join()
    if len(sink) != flood:
        raise AssertionError(f"ran {len(sink)} of {flood} flood callbacks")
    return [*ticks[1:], end[0] if end_at_last_call else returned]


def freeze_many(
    variant: Variant, path: str, producers: int, per: int
) -> tuple[float, float | None]:
    """The longest UI timer gap (ms) while ``producers`` workers post ``per`` calls each.

    Ours (a variant with a ``dispatcher``) posts on ``path`` and also returns its longest
    drain in ms; any other variant posts plainly and returns ``None`` for it.
    """
    d = getattr(variant, "dispatcher", None)
    produce: Produce = variant.produce
    if d is not None:
        # One dispatcher may serve every path in turn: undo what the last one set.
        d.configure(**(BOUNDED if path == "bounded" else {"max_pending": None}))
        d._q.max_drain = 0.0  # this flood's longest drain, not an earlier workload's
        produce = produce_path(d, path, Owner())
    post = variant.poster()

    def finish(done: threading.Event) -> None:
        post(variant.finisher(done), None)

    gaps = flood_gaps(variant.run_main, produce, finish, producers, per)
    return max(gaps, default=0.0), (d.stats().max_drain_ms if d is not None else None)


def path_fields(
    paths: Iterable[str], flood_on: Callable[[str], tuple[float, float | None]]
) -> dict[str, float | None]:
    """:data:`PATH_FIELDS` of ``paths``, from ``flood_on(path)``: :func:`freeze_many`'s pair."""
    out: dict[str, float | None] = {}
    for path in paths:
        gap, drain = flood_on(path)
        out["freeze8_ms" if path == "plain" else f"freeze8_{path}_ms"] = gap
        if path == "bounded":
            out["drain8_bounded_ms"] = drain
    return out


def merge_rounds(
    rounds: Sequence[dict[str, Any]], fields: Iterable[str], ndigits: int | None = None
) -> dict[str, Any]:
    """Each of ``fields`` the median of the rounds' numbers (``None`` when none has one).

    Plus ``freeze_gaps_ms``, the timeline of the median-freeze round (what charts draw),
    when a round has one. ``ndigits`` rounds the medians.
    """
    out: dict[str, Any] = {}
    for field in fields:
        # NaN is a figure that does not apply (a consumer that never sleeps has no idle one).
        values = [r[field] for r in rounds if r.get(field) is not None and r[field] == r[field]]
        median = statistics.median(values) if values else None
        out[field] = median if median is None or ndigits is None else round(median, ndigits)
    timed = sorted(
        (r for r in rounds if r.get("freeze_gaps_ms") and r.get("freeze_ms") is not None),
        key=lambda r: float(r["freeze_ms"]),
    )
    if timed:
        out["freeze_gaps_ms"] = timed[len(timed) // 2]["freeze_gaps_ms"]
    return out
