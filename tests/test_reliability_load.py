"""Load: many producers flooding the queue lose nothing, keep order and respect the bound.

8 producer threads x 100,000 calls onto the virtual and the asyncio backend; every call
runs exactly once, each producer's order holds within a priority, ``max_pending`` holds
with each overflow policy, and on a real loop a repeating UI timer keeps firing through
the flood. The toolkit backends run the same flood in ``plugins/*/tests/test_load.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import uidispatch as ud
from uidispatch.testing import wait_until

Dispatcher = ud.Dispatcher

PRODUCERS = 8
CALLS = 100_000


def start_all(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()


def join_all(threads: list[threading.Thread], timeout: float = 30.0) -> None:
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), f"{t.name} did not finish"


def flood(
    d: Dispatcher, producers: int, calls: int
) -> tuple[list[list[int]], list[threading.Thread]]:
    """Start ``producers`` threads, each posting ``calls`` appends of 0..calls-1 to its list.

    The threads are started from a launcher thread: ``Thread.start()`` waits for the new
    thread to run, which under a GIL-bound flood would block the main loop itself.
    """
    lists: list[list[int]] = [[] for _ in range(producers)]

    def produce(i: int) -> None:
        append = lists[i].append
        post = d.call_soon
        for j in range(calls):
            post(append, j)

    threads = [
        threading.Thread(target=produce, args=(i,), name=f"producer-{i}") for i in range(producers)
    ]
    launcher = threading.Thread(target=start_all, args=(threads,))
    launcher.start()
    # The launcher comes first: joining it first means every producer has started.
    return lists, [launcher, *threads]


def assert_exactly_once_in_order(lists: list[list[int]], calls: int) -> None:
    expected = list(range(calls))
    for i, got in enumerate(lists):
        assert len(got) == calls, f"producer {i}: {len(got)} of {calls} calls ran"
        assert got == expected, f"producer {i}: calls ran out of order or twice"


def test_eight_producers_flood_virtual_every_call_once_in_order(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    lists, threads = flood(d, PRODUCERS, CALLS)
    total = PRODUCERS * CALLS
    wait_until(d, lambda: sum(map(len, lists)) >= total, timeout=60, what="the flood to drain")
    join_all(threads)
    assert_exactly_once_in_order(lists, CALLS)
    s = d.stats()
    assert (s.posted, s.executed, s.dropped, s.pending, s.errors) == (total, total, 0, 0, 0)
    # Wake coalescing: a flood costs a handful of toolkit wake-ups, not one per call. A
    # drain posts its successor when it starts (so a modal dialog opened by one of its
    # callbacks keeps dispatch going): at most one extra wake per drain.
    backend: Any = d.backend
    assert s.drains <= backend.posts <= 2 * s.drains + 1
    assert s.drains < total // 100


def test_eight_producers_mixed_priorities_keep_order_within_each_priority(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    calls = 25_000
    priorities = list(ud.Priority)
    out: list[tuple[int, int, int]] = []

    def produce(i: int) -> None:
        post = d.call_soon
        append = out.append
        for j in range(calls):
            p = priorities[(i + j) % len(priorities)]
            post(append, (i, int(p), j), priority=p)

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(PRODUCERS)]
    start_all(threads)
    total = PRODUCERS * calls
    wait_until(d, lambda: len(out) >= total, timeout=60, what="the mixed flood to drain")
    join_all(threads)
    assert len(out) == total
    assert len(set(out)) == total  # nothing ran twice
    by_lane: dict[tuple[int, int], list[int]] = {}
    for i, p, j in out:
        by_lane.setdefault((i, p), []).append(j)
    for (i, p), seq in by_lane.items():
        assert seq == sorted(seq), f"producer {i} priority {p} ran out of order"
    assert d.stats().executed == total


def test_eight_producers_flood_asyncio_while_a_ui_timer_keeps_firing() -> None:
    period = 0.010
    total = PRODUCERS * CALLS

    async def main() -> tuple[list[list[int]], list[float], float, float, ud.DispatchStats]:
        d = ud.get_dispatcher("asyncio")
        ticks: list[float] = []
        stop = False

        def tick() -> None:
            ticks.append(time.perf_counter())
            if not stop:
                d.call_later(period, tick)

        d.call_later(period, tick)
        while len(ticks) < 2:  # the timer runs before the flood starts
            await asyncio.sleep(period)
        start = time.perf_counter()
        lists, threads = flood(d, PRODUCERS, CALLS)
        deadline = time.monotonic() + 60
        while sum(map(len, lists)) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        end = time.perf_counter()
        stop = True
        await asyncio.sleep(0)
        for t in threads:
            t.join(30)
        stats = d.stats()
        d.close()
        return lists, ticks, start, end, stats

    lists, ticks, start, end, stats = asyncio.run(main())
    assert_exactly_once_in_order(lists, CALLS)
    assert (stats.posted, stats.executed, stats.dropped, stats.pending) == (total, total, 0, 0)
    # The timer kept firing through the flood. With 8 CPU-bound producers on 2 cores the
    # GIL, not the 8 ms budget, sets the gap (measured 120-520 ms here, as for bare
    # call_soon_threadsafe); 3 s flags a loop that stopped, not a slow machine. The real
    # freeze is measured by the benchmarks, not pinned by a timed test.
    during = [start, *(t for t in ticks if start < t < end), end]
    gaps = [round((b - a) * 1000) for a, b in itertools.pairwise(during)]
    assert max(gaps) < 3000, f"the UI timer stalled: gaps {gaps} ms"


def test_eight_producers_with_call_waiters_all_get_their_results(
    virtual_dispatcher: Dispatcher,
) -> None:
    # Waiting calls ride the same NORMAL lane as the flood and keep their producer's order.
    d = virtual_dispatcher
    calls = 2_000
    results: list[list[int]] = [[] for _ in range(PRODUCERS)]
    seen: list[list[int]] = [[] for _ in range(PRODUCERS)]

    def produce(i: int) -> None:
        for j in range(calls):
            if j % 100 == 0:
                results[i].append(d.call(lambda i=i, j=j: (seen[i].append(j), j)[1]))
            else:
                d.call_soon(seen[i].append, j)

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(PRODUCERS)]
    start_all(threads)
    wait_until(d, lambda: all(not t.is_alive() for t in threads), timeout=60)
    wait_until(d, lambda: d.stats().pending == 0)
    join_all(threads)
    for i in range(PRODUCERS):
        assert seen[i] == list(range(calls))
        assert results[i] == list(range(0, calls, 100))


# ----------------------------------------------------------------- backpressure


def pump_until_producers_finish(
    d: Dispatcher, threads: list[threading.Thread], on_turn: Callable[[], None]
) -> None:
    def turn() -> bool:
        on_turn()
        return all(not t.is_alive() for t in threads) and d.stats().pending == 0

    wait_until(d, turn, timeout=60, what="the producers to finish")


def test_overflow_block_keeps_pending_bounded_under_eight_producers(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    bound = 500
    calls = 20_000
    d.configure(max_pending=bound, overflow="block")
    peak = 0

    def watch() -> None:
        nonlocal peak
        peak = max(peak, d.stats().pending)

    lists, threads = flood(d, PRODUCERS, calls)
    pump_until_producers_finish(d, threads, watch)
    join_all(threads)
    assert_exactly_once_in_order(lists, calls)
    s = d.stats()
    assert (s.executed, s.dropped) == (PRODUCERS * calls, 0)
    assert s.max_pending <= bound
    assert peak <= bound


def test_overflow_drop_oldest_counts_every_drop_under_eight_producers(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    bound = 200
    calls = 20_000
    d.configure(max_pending=bound, overflow="drop_oldest")
    lists, threads = flood(d, PRODUCERS, calls)
    pump_until_producers_finish(d, threads, lambda: None)
    join_all(threads)
    s = d.stats()
    ran = sum(map(len, lists))
    total = PRODUCERS * calls
    assert s.posted == total
    assert s.executed == ran
    assert s.dropped == total - ran  # every call either ran or was counted as dropped
    assert s.pending == 0
    assert s.max_pending <= bound
    for got in lists:  # what survived still ran once each, in order
        assert got == sorted(set(got))


def test_overflow_drop_oldest_keeps_the_newest_when_nobody_drains(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=100, overflow="drop_oldest")
    out: list[int] = []

    def produce() -> None:
        for j in range(10_000):
            d.call_soon(out.append, j)

    t = threading.Thread(target=produce)
    t.start()
    join_all([t])  # the main thread did not pump: only the bound was kept
    s = d.stats()
    assert s.pending == 100
    assert s.dropped == 10_000 - 100
    wait_until(d, lambda: d.stats().pending == 0)
    assert out == list(range(9_900, 10_000))


def test_overflow_raise_raises_queue_full_in_the_producer(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    bound = 1_000
    d.configure(max_pending=bound, overflow="raise")
    accepted = [0] * PRODUCERS
    errors: list[list[BaseException]] = [[] for _ in range(PRODUCERS)]

    def produce(i: int) -> None:
        for _ in range(5_000):
            try:
                d.call_soon(lambda: None)
            except ud.QueueFull as exc:
                errors[i].append(exc)
            else:
                accepted[i] += 1

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(PRODUCERS)]
    start_all(threads)
    join_all(threads)  # nobody drains: every producer hits the bound and gets QueueFull
    assert all(errs for errs in errors), "a producer never saw QueueFull"
    assert all(isinstance(e, ud.UIDispatchError) for errs in errors for e in errs)
    assert "max_pending=1000" in str(errors[0][0])
    s = d.stats()
    assert s.posted == sum(accepted)  # a refused call is not counted as posted
    assert s.pending == bound
    wait_until(d, lambda: d.stats().pending == 0)
    assert d.stats().executed == sum(accepted)


@pytest.mark.parametrize("policy", ["block", "drop_oldest"])
def test_overflow_policies_hold_on_a_real_asyncio_loop(policy: str) -> None:
    bound = 300
    calls = 20_000

    async def main() -> tuple[list[list[int]], ud.DispatchStats]:
        d = ud.get_dispatcher("asyncio")
        d.configure(max_pending=bound, overflow=policy)
        lists, threads = flood(d, PRODUCERS, calls)
        deadline = time.monotonic() + 60
        while (
            any(t.is_alive() for t in threads) or d.stats().pending
        ) and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        for t in threads:
            t.join(30)
        stats = d.stats()
        d.close()
        return lists, stats

    lists, s = asyncio.run(main())
    total = PRODUCERS * calls
    ran = sum(map(len, lists))
    assert s.pending == 0
    assert s.max_pending <= bound
    assert (s.posted, s.executed, s.dropped) == (total, ran, total - ran)
    if policy == "block":
        assert_exactly_once_in_order(lists, calls)


@pytest.mark.parametrize("drop", ["close", "drop_oldest"])
def test_no_call_parts_from_its_arguments_while_a_worker_drops_mid_flood(
    virtual_dispatcher: Dispatcher, drop: str
) -> None:
    # Threads switching as often as the interpreter lets them, the main thread draining and
    # a worker dropping from the same lanes (close(), or drop_oldest switched on with plain
    # calls waiting): each call runs once with its own argument or is counted as dropped.
    # The drop is made to meet waiting calls, whatever the machine's speed: a quarter of
    # the way in, producer 0 posts a call that holds the drain (mid-drain, on the main
    # thread) until the worker has dropped, and the worker drops only once 100 calls wait.
    d = virtual_dispatcher
    producers, calls = 4, 20_000
    lists: list[list[int]] = [[] for _ in range(producers)]
    refused = [0] * producers
    holding, dropped = threading.Event(), threading.Event()
    extra: list[str] = []  # the calls this test posts besides the producers' own

    def hold() -> None:
        holding.set()
        assert dropped.wait(30), "the worker never dropped"

    def produce(i: int) -> None:
        append = lists[i].append
        for j in range(calls):
            try:
                if i == 0 and j == calls // 4:
                    d.call_soon(hold)
                    extra.append("hold")
                d.call_soon(append, j)
            except ud.DispatcherClosed:
                refused[i] += 1

    def dropper() -> None:
        try:
            assert holding.wait(30), "the drain never reached the holding call"
            while d.stats().pending < 100:  # only grows while the drain is held
                time.sleep(0.001)
            if drop == "close":
                d.close()
            else:
                d.configure(max_pending=50, overflow="drop_oldest")
                d.call_soon(extra.append, "over the bound")  # 100 wait: drops the oldest
                extra.append("posted")
        finally:
            dropped.set()

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(producers)]
    threads.append(threading.Thread(target=dropper))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        launcher = threading.Thread(target=start_all, args=(threads,))
        launcher.start()
        everyone = [launcher, *threads]  # the launcher first: then every thread has started
        pump_until_producers_finish(d, everyone, lambda: None)
        join_all(everyone)
    finally:
        sys.setswitchinterval(interval)
    s = d.stats()
    ran = sum(map(len, lists))
    posted_extra = extra.count("hold") + extra.count("posted")
    ran_extra = 1 + extra.count("over the bound")  # hold() always runs: it is mid-drain
    assert s.errors == 0
    for got in lists:  # each call ran with its own argument, once, in its producer's order
        assert got == sorted(set(got))
    assert s.posted + sum(refused) == producers * calls + posted_extra
    assert (s.executed, s.pending) == (ran + ran_extra, 0)
    assert s.posted == s.executed + s.dropped
    assert s.dropped > 0  # the worker's drop met waiting calls
