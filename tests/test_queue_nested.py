"""Nested event loops inside callbacks (modal dialogs) and posting from signal handlers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import uidispatch as ud
from uidispatch._core._queue import MAX_DEPTH
from uidispatch.testing import wait_until

Dispatcher = ud.Dispatcher


def _pump(d: Dispatcher) -> None:
    """What a modal dialog's nested loop does: run the backend's ready posts."""
    d.backend.process_events(0)  # type: ignore[attr-defined]


def test_a_nested_loop_runs_the_entries_queued_behind_its_callback_in_order(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    out: list[str] = []

    def modal() -> None:
        out.append("open")
        for _ in range(3):
            _pump(d)
        out.append("answered")
        d.call_soon(out.append, "after")  # posted by the callback: runs after the rest

    d.call_soon(modal)
    for name in ("b", "c", "d"):
        d.call_soon(out.append, name)
    wait_until(d, lambda: "after" in out)
    assert out == ["open", "b", "c", "d", "answered", "after"]


def test_posts_from_a_worker_during_a_long_callback_run_in_its_nested_loop(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    out: list[object] = []

    def modal() -> None:
        out.append("open")
        worker = threading.Thread(target=lambda: [d.call_soon(out.append, i) for i in range(50)])
        worker.start()
        worker.join()
        _pump(d)
        out.append("answered")

    d.call_soon(modal)
    wait_until(d, lambda: "answered" in out)
    assert out == ["open", *range(50), "answered"]


def test_a_nested_drain_keeps_its_own_budget_and_the_rest_runs_later(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    d.configure(budget=1e-9)  # one entry per drain
    out: list[object] = []

    def modal() -> None:
        out.append("open")
        _pump(d)  # one nested drain: one entry, then a re-post for the rest
        out.append("answered")

    d.call_soon(modal)
    for i in range(3):
        d.call_soon(out.append, i)
    wait_until(d, lambda: len(out) == 5)
    assert out == ["open", 0, "answered", 1, 2]


def test_callbacks_that_pump_the_loop_from_callbacks_stop_nesting_at_max_depth(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    started: list[int] = []
    finished: list[int] = []
    n = MAX_DEPTH * 3

    def pumping(i: int) -> None:
        started.append(i)
        _pump(d)
        finished.append(i)

    for i in range(n):
        d.call_soon(pumping, i)
    wait_until(d, lambda: len(finished) == n)
    assert started == list(range(n))  # FIFO starts whatever the nesting
    assert sorted(finished) == list(range(n))
    assert d.stats().executed == n


def test_run_until_inside_a_callback_runs_later_entries_and_returns(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    out: list[str] = []

    def waits_for_b() -> None:
        out.append("a")
        assert d.run_until(lambda: "b" in out, 5)
        out.append("a-end")

    d.call_soon(waits_for_b)
    d.call_soon(out.append, "b")
    wait_until(d, lambda: "a-end" in out)
    assert out == ["a", "b", "a-end"]


_SIGNAL_CHILD = textwrap.dedent(
    """
    import asyncio, signal, sys, time
    import uidispatch as ud

    loop = asyncio.new_event_loop()
    d = ud.get_dispatcher("asyncio", app=loop)
    hits = [0]

    def hit():
        hits[0] += 1

    def noop(*args):
        pass

    def on_signal(signum, frame):
        d.call_soon(hit)
        d.call_soon(noop, key="signal")

    signal.signal(signal.SIGALRM, on_signal)
    signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)

    async def main():
        end = time.monotonic() + 2.0
        i = 0
        while time.monotonic() < end:
            for _ in range(100):
                i += 1
                d.call_soon(noop)
                d.call_soon(noop, key=i % 5)  # keyed entries: the drain takes the lock
            await asyncio.sleep(0)  # idle transitions: wakes take the lock

    loop.run_until_complete(main())
    signal.setitimer(signal.ITIMER_REAL, 0)
    loop.run_until_complete(asyncio.sleep(0.05))
    s = d.stats()
    assert s.errors == 0 and s.pending == 0, s
    assert s.posted == s.executed + s.coalesced + s.dropped, s
    assert hits[0] > 100, hits
    print("ok", hits[0])
    """
)


def test_posting_from_a_repeating_signal_handler_never_deadlocks() -> None:
    # A handler runs on the main thread between two bytecodes, possibly while that thread
    # holds the queue's lock: a non-reentrant lock deadlocked (and recursed) here.
    proc = subprocess.run(
        [sys.executable, "-c", _SIGNAL_CHILD], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ok"), proc.stdout


def test_keyed_posts_racing_the_drain_keep_latest_wins_and_lose_nothing(
    virtual_dispatcher: Dispatcher,
) -> None:
    # Keyed posts take no lock: a post that lands while the drain takes its entry must
    # either be the call the drain runs, or run later as a new entry; never lost, never
    # an older value after a newer one.
    d = virtual_dispatcher
    producers, per, keys = 4, 20_000, 3
    seen: dict[tuple[int, int], list[int]] = {}

    def run(k: int, key: int, j: int) -> None:
        seen.setdefault((k, key), []).append(j)

    def produce(k: int) -> None:
        for j in range(per):
            d.call_soon(run, k, j % keys, j, key=(k, j % keys))

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(producers)]
    for t in threads:
        t.start()
    # The main thread drains while the producers post, so takes and replaces interleave.
    wait_until(d, lambda: not any(t.is_alive() for t in threads) and d.stats().pending == 0)
    for t in threads:
        t.join()
    for k in range(producers):
        for key in range(keys):
            runs = seen[(k, key)]
            assert runs == sorted(set(runs)), "an older call ran after a newer one"
            assert runs[-1] == max(j for j in range(per) if j % keys == key)
    s = d.stats()
    assert s.posted == producers * per
    assert s.executed + s.coalesced == s.posted
    assert s.executed == sum(map(len, seen.values()))
