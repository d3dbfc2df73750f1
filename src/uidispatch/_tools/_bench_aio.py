"""The guest-mode async rows every toolkit's bench shares: ``uidispatch.aio`` against the naive way.

One coroutine body (:func:`body`) measures, on whatever loop runs it: await round trips
per second (``await sleep(0)`` in a loop), widget update + await round trips per second
(set a label's text, then await), the longest gap of the 10 ms UI timer during the
awaits, and the async loop's wake-ups per second while it waits with nothing to do. It
runs as

- ``aio asyncio`` / ``aio trio`` (ours): ``aio.start(main, lib=...)``, a guest of the
  toolkit's loop; its widget update is a plain call, it already is on the UI thread;
- ``aio asyncio thread`` (naive): asyncio in a worker thread, each widget update posted
  to the UI thread with the toolkit's own primitive and awaited (the UI side answers
  with ``loop.call_soon_threadsafe``), what an app does without a guest loop;
- a toolkit's own helper where one exists (qasync on Qt), through :func:`run_on_loop`.

A backend's bench supplies a :class:`Toolkit` (its ``uidispatch`` variant, its naive
variant, and how to make a label) and calls :func:`child` in a fresh process per row,
:func:`rows` from its parent. The rows carry ``family: "aio"`` so the report takes their
ratios against the family's own naive row (``_bench_table``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import selectors
import statistics
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ._bench_paths import gaps_ms
from ._bench_workloads import AIO_FIELDS, Variant

__all__ = [
    "AIO_FIELDS",
    "AioSizes",
    "CountingSelector",
    "Ops",
    "Toolkit",
    "body",
    "child",
    "rows",
    "run_on_loop",
]

FAMILY = "aio"
BASE_KINDS = {"aio asyncio": "ours", "aio trio": "ours", "aio asyncio thread": "naive"}
"""The rows every toolkit gets, in table order, and their kinds (trio only where installed)."""


@dataclass(frozen=True)
class AioSizes:
    """How much work each guest-mode measurement does."""

    awaits: int = 10_000
    """Await round trips timed (the UI timer's gap is taken during them)."""
    updates: int = 10_000
    """Widget update + await round trips timed."""
    idle_seconds: float = 1.0
    """How long the loop waits with nothing to do while its wake-ups are counted."""
    rounds: int = 3
    """Processes per row; each figure is their median."""


QUICK = AioSizes(updates=3_000, idle_seconds=0.3, rounds=1)
TINY = AioSizes(awaits=500, updates=200, idle_seconds=0.2, rounds=1)
"""For tests of the rows' shape: no figure means anything."""


@dataclass
class Ops:
    """What :func:`body` awaits and calls on one kind of loop."""

    sleep0: Callable[[], Awaitable[object]]
    """One await round trip through the loop."""
    sleep: Callable[[float], Awaitable[object]]
    """Wait with nothing to do."""
    update: Callable[[str], Awaitable[object]]
    """Set the label's text (on the UI thread) and await; one round trip."""
    wakeups: Callable[[], int]
    """The async loop's wake-ups so far."""
    ticks: list[float] = field(default_factory=list)
    """The UI timer's ticks (``time.perf_counter``), appended on the UI thread ..."""
    counts: list[int] = field(default_factory=list)
    """... each with :attr:`wakeups` then."""


async def body(ops: Ops, sizes: AioSizes) -> dict[str, float]:
    """Run every guest-mode workload on the loop ``ops`` drives; the row's figures."""
    perf = time.perf_counter
    for _ in range(10):
        await ops.sleep0()  # settle: the first steps set things up
    t0 = perf()
    for _ in range(sizes.awaits):
        await ops.sleep0()
    t1 = perf()
    ticks = [t for t in list(ops.ticks) if t0 < t < t1]
    out = {
        "aio_awaits_per_s": sizes.awaits / (t1 - t0),
        "aio_gap_ms": max(gaps_ms([t0, *ticks, t1])),
    }
    update = ops.update
    t0 = perf()
    for i in range(sizes.updates):
        await update(str(i))
    out["aio_updates_per_s"] = sizes.updates / (perf() - t0)
    await ops.sleep0()
    t0 = perf()
    await ops.sleep(sizes.idle_seconds)
    t1 = perf()
    # Counted between the UI timer's ticks inside the sleep: its start and its end (one
    # or two loop iterations, as the library does it) are not idle activity.
    n = len(ops.counts)
    marks = [
        (t, c) for t, c in zip(ops.ticks[:n], ops.counts[:n], strict=False) if t0 < t < t1 - 0.005
    ]
    if len(marks) < 2:
        raise RuntimeError(f"the UI timer ticked {len(marks)} times in {t1 - t0:.3f} s idle")
    (ta, ca), (tb, cb) = marks[0], marks[-1]
    out["aio_idle_wakeups_per_s"] = (cb - ca) / (tb - ta)
    return out


@dataclass
class Toolkit:
    """What a backend's bench supplies for the guest-mode rows, in the child process."""

    ours: Callable[[], Variant]
    """Its ``uidispatch`` variant (unopened; ``open`` sets ``dispatcher``)."""
    naive: Callable[[], Variant]
    """Its naive variant: ``poster()`` reaches the UI thread from a worker."""
    label: Callable[[Variant], Callable[[str], object]]
    """A label on an open variant's UI; returns its text setter (UI thread)."""
    helpers: dict[str, tuple[str, Callable[[Toolkit, AioSizes], dict[str, Any]]]] = field(
        default_factory=dict
    )
    """Extra rows: name -> (kind, measure); each runs in its own process like the others."""

    def kinds(self) -> dict[str, str]:
        """Every row this toolkit has here, in table order: name -> kind."""
        kinds = {n: k for n, k in BASE_KINDS.items() if n != "aio trio" or _has("trio")}
        kinds.update({name: kind for name, (kind, _) in self.helpers.items()})
        return kinds


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


# ------------------------------------------------------------------------- runners


def run_on_loop(
    v: Variant,
    start: Callable[[Callable[[], Awaitable[None]], Callable[[], object]], object],
    ops: Ops,
    sizes: AioSizes,
    *,
    started: threading.Event | None = None,
) -> dict[str, Any]:
    """Run :func:`body` as a coroutine on the loop ``start`` gives it; its figures.

    ``start(main, finished)`` arranges for ``main()`` to run and for ``finished()`` to be
    called on the UI thread of the open variant ``v`` once it is over (which ends ``v``'s
    loop); ``started`` is set at each tick of the UI timer.
    """
    done = threading.Event()
    finish = v.finisher(done)
    result: dict[str, Any] = {}

    async def main() -> None:
        result.update(await body(ops, sizes))

    start(main, lambda: finish(None))
    ticks, counts, wakeups = ops.ticks, ops.counts, ops.wakeups

    def tick() -> None:
        ticks.append(time.perf_counter())
        counts.append(wakeups())
        if started is not None:
            started.set()

    v.run_main(done, tick)
    if not result:
        raise RuntimeError("the coroutine ended without its figures")
    return result


def _guest(tk: Toolkit, lib: str, sizes: AioSizes) -> dict[str, Any]:
    from .. import aio

    v = tk.ours()
    v.open()
    try:
        set_text = tk.label(v)
        d = v.dispatcher  # type: ignore[attr-defined]
        if lib == "trio":
            import trio

            sleep: Callable[[float], Awaitable[object]] = trio.sleep
        else:
            sleep = asyncio.sleep

        async def sleep0() -> None:
            await sleep(0)

        async def update(text: str) -> None:
            set_text(text)
            await sleep(0)

        ops = Ops(sleep0, sleep, update, lambda: int(d.stats().executed))
        box: list[Any] = []

        def start(main: Callable[[], Awaitable[None]], finished: Callable[[], object]) -> None:
            run = aio.start(main, lib=lib, dispatcher=d)
            run.on_done(lambda run: finished())  # the run has ended: its loop is closed
            box.append(run)

        result = run_on_loop(v, start, ops, sizes)
        box[0].result()  # main's exception, if any
        return result
    finally:
        v.close()


class CountingSelector(selectors.DefaultSelector):
    """Counts an asyncio loop's wake-ups: every return from ``select`` is one."""

    wakeups = 0

    def select(self, timeout: float | None = None) -> Any:
        """``select``, counted."""
        events = super().select(timeout)
        self.wakeups += 1
        return events


def _thread(tk: Toolkit, sizes: AioSizes) -> dict[str, Any]:
    v = tk.naive()
    v.open()
    selector = CountingSelector()
    loop = asyncio.SelectorEventLoop(selector)
    try:
        set_text = tk.label(v)
        post = v.poster()

        def on_ui(pair: tuple[str, asyncio.Future[None]]) -> None:
            text, fut = pair
            set_text(text)
            loop.call_soon_threadsafe(fut.set_result, None)

        async def update(text: str) -> None:
            fut = loop.create_future()
            post(on_ui, (text, fut))
            await fut

        async def sleep0() -> None:
            await asyncio.sleep(0)

        ops = Ops(sleep0, asyncio.sleep, update, lambda: int(selector.wakeups))
        go = threading.Event()
        errors: list[BaseException] = []

        def start(main: Callable[[], Awaitable[None]], finished: Callable[[], object]) -> None:
            def worker() -> None:
                go.wait()  # the UI loop runs: the toolkit's primitive works from a worker
                try:
                    loop.run_until_complete(main())
                except BaseException as exc:
                    errors.append(exc)
                finally:
                    post(lambda _: finished(), None)

            threading.Thread(target=worker, daemon=True).start()

        try:
            return run_on_loop(v, start, ops, sizes, started=go)
        except RuntimeError:
            if errors:
                raise errors[0] from None
            raise
    finally:
        loop.close()
        v.close()


def measure(tk: Toolkit, name: str, sizes: AioSizes) -> dict[str, Any]:
    """One row's figures, measured here (a fresh process, its main thread)."""
    if name == "aio asyncio":
        return _guest(tk, "asyncio", sizes)
    if name == "aio trio":
        return _guest(tk, "trio", sizes)
    if name == "aio asyncio thread":
        return _thread(tk, sizes)
    if name in tk.helpers:
        return tk.helpers[name][1](tk, sizes)
    raise ValueError(f"unknown guest-mode row {name!r}; known: {', '.join(tk.kinds())}")


def child(tk: Toolkit, name: str, sizes_json: str | None) -> int:
    """A child process's work: measure row ``name`` and print its figures as one JSON line."""
    sizes = AioSizes(**json.loads(sizes_json)) if sizes_json else AioSizes()
    print(json.dumps(measure(tk, name, sizes)), flush=True)
    return 0


# ------------------------------------------------------------------------- parent


def rows(
    argv: Sequence[str],
    kinds: dict[str, str],
    sizes: AioSizes,
    *,
    env: dict[str, str] | None = None,
    progress: Callable[[str], object] | None = None,
    timeout: float = 300.0,
) -> list[dict[str, Any]]:
    """The guest-mode rows, each median of ``sizes.rounds`` fresh processes.

    ``argv`` starts the backend's bench module; ``--aio NAME --aio-sizes JSON`` is added.
    A row whose processes all fail carries the error.
    """
    out = []
    for name, kind in kinds.items():
        results: list[dict[str, Any]] = []
        errors: list[str] = []
        for r in range(sizes.rounds):
            if progress is not None:
                progress(f"{name} process {r + 1}/{sizes.rounds}")
            cmd = [*argv, "--aio", name, "--aio-sizes", json.dumps(asdict(sizes))]
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
                )
            except subprocess.TimeoutExpired:
                errors.append(f"timed out after {timeout:g} s")
                continue
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
                errors.append(f"exit status {proc.returncode}: {tail[:300]}")
                continue
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        row: dict[str, Any] = {"variant": name, "kind": kind, "family": FAMILY}
        for f in AIO_FIELDS:
            values = [float(r[f]) for r in results if r.get(f) is not None]
            row[f] = statistics.median(values) if values else None
        row["error"] = None if results else (errors[0] if errors else "no runs")
        out.append(row)
    return out


def note(sizes: AioSizes) -> str:
    """The report note that says what the guest-mode rows measure."""
    return (
        f"aio rows: await round trips/s and widget update + await round trips/s "
        f"({sizes.updates:,}), the 10 ms UI timer's longest gap during {sizes.awaits:,} awaits, "
        "the async loop's idle wake-ups/s (guest: dispatcher entries it ran; thread: select "
        "returns); 'aio asyncio thread' is asyncio in a worker thread posting each update "
        "with the toolkit's naive primitive and awaiting it (call_soon_threadsafe back); "
        f"medians of {sizes.rounds} process(es), ratios to that row"
    )
