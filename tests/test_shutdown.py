"""Pool.shutdown with a deadline, cancel_running, ud.shutdown; no deadlock on the main thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

import uidispatch as ud

WAIT = 5.0


def _hold(started: threading.Event, gate: threading.Event) -> str:
    started.set()
    gate.wait(30)
    return "held"


def test_a_deadline_returns_false_while_a_worker_still_runs(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    started, gate = threading.Event(), threading.Event()
    task = pool.submit(_hold, started, gate)
    assert started.wait(WAIT)
    assert pool.shutdown(wait=True, timeout=0) is False
    assert (
        pool.shutdown(wait=True, timeout=0.05) is False
    )  # the worker does not cooperate: still running
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(abs, 1)
    gate.set()
    assert pool.shutdown(wait=True, timeout=WAIT) is True
    assert task.result(0) == "held"
    assert pool.stats().workers == 0


def test_cancel_running_asks_running_tasks_to_stop(virtual_dispatcher: ud.Dispatcher) -> None:
    # One worker: the queued tasks cannot start (and be running at the shutdown) first.
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    started = threading.Event()
    stop_seen = threading.Event()

    def cooperative() -> None:
        started.set()
        while not stop_seen.wait(0.005):
            if ud.cancelled():
                stop_seen.set()
        ud.check_cancelled()

    task = pool.submit(cooperative)
    queued = [pool.submit(abs, -i) for i in range(3)]
    assert started.wait(WAIT)
    assert pool.shutdown(wait=True, cancel_running=True, timeout=WAIT) is True
    assert task.state is ud.TaskState.CANCELLED
    assert stop_seen.is_set()
    assert all(t.done() for t in queued)  # without cancel_pending, queued work still ran
    assert [t.result(0) for t in queued] == [0, 1, 2]


def test_cancel_running_really_cancels_a_coroutine(virtual_dispatcher: ud.Dispatcher) -> None:
    import asyncio

    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    started = threading.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    task = pool.submit(forever)
    assert started.wait(WAIT)
    assert pool.shutdown(wait=True, cancel_running=True, timeout=WAIT) is True
    assert task.state is ud.TaskState.CANCELLED


def test_wait_false_returns_true_at_once(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    started, gate = threading.Event(), threading.Event()
    pool.submit(_hold, started, gate)
    assert started.wait(WAIT)
    assert pool.shutdown(wait=False) is True
    gate.set()
    assert pool.shutdown(wait=True, timeout=WAIT) is True


def test_ud_shutdown_shuts_the_default_pool_down_and_a_new_one_starts_on_demand() -> None:
    assert ud.submit(abs, -5).result(WAIT) == 5
    started, gate = threading.Event(), threading.Event()
    held = ud.submit(_hold, started, gate)
    assert started.wait(WAIT)
    assert ud.shutdown(timeout=0) is False
    gate.set()
    assert ud.shutdown(timeout=WAIT) is True
    assert held.result(0) == "held"
    assert ud.submit(abs, -6).result(WAIT) == 6  # a fresh default pool
    assert ud.shutdown(timeout=WAIT, cancel_pending=True, cancel_running=True) is True


def test_ud_shutdown_of_several_pools_shares_one_deadline() -> None:
    pools = [ud.Pool(max_workers=1) for _ in range(3)]
    gate = threading.Event()
    started = [threading.Event() for _ in pools]
    tasks = [pool.submit(_hold, event, gate) for pool, event in zip(pools, started, strict=True)]
    assert all(event.wait(WAIT) for event in started)
    t0 = time.monotonic()
    assert ud.shutdown(*pools, timeout=0.25) is False
    elapsed = time.monotonic() - t0
    assert 0.25 <= elapsed < 0.6  # one deadline for all three, not 0.25 s each
    for pool in pools:  # every one stopped taking work, not only the first
        with pytest.raises(RuntimeError, match="shut down"):
            pool.submit(abs, 1)
    gate.set()
    assert ud.shutdown(*pools, timeout=WAIT) is True
    assert [task.result(0) for task in tasks] == ["held"] * 3
    assert all(pool.stats().workers == 0 for pool in pools)


def test_ud_shutdown_of_given_pools_leaves_the_default_pool_alone() -> None:
    default = ud.submit(abs, -1)
    other = ud.Pool(max_workers=1)
    assert ud.shutdown(other, timeout=WAIT, cancel_pending=True) is True
    assert default.result(WAIT) == 1
    assert ud.submit(abs, -2).result(WAIT) == 2  # the same default pool, still open
    assert ud.shutdown(5) is True  # a lone number by position is the timeout, as before


def test_ud_shutdown_cancels_in_every_pool_before_it_waits() -> None:
    pools = [ud.Pool(max_workers=1) for _ in range(2)]
    started = [threading.Event() for _ in pools]

    def stop_when_told(event: threading.Event) -> None:
        event.set()
        while True:
            ud.check_cancelled()
            threading.Event().wait(0.005)

    tasks = [pool.submit(stop_when_told, event) for pool, event in zip(pools, started, strict=True)]
    assert all(event.wait(WAIT) for event in started)
    assert ud.shutdown(*pools, timeout=WAIT, cancel_running=True) is True
    assert all(task.cancelled() for task in tasks)


def test_ud_shutdown_from_a_pools_own_thread_refuses_and_shuts_nothing_down() -> None:
    mine, other = ud.Pool(max_workers=1), ud.Pool(max_workers=1)
    try:
        task = mine.submit(lambda: ud.shutdown(other, mine, timeout=1))
        with pytest.raises(RuntimeError, match=r"from the pool's own thread would wait forever"):
            task.result(WAIT)
        assert other.submit(abs, -3).result(WAIT) == 3  # untouched
    finally:
        assert ud.shutdown(mine, other, timeout=WAIT)


POOL = object()  # stands for the test's pool in the arguments below


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((object(),), {}, TypeError, r"shutdown\(\) takes Pools \(and timeout=\), got <object"),
        ((POOL, object()), {}, TypeError, r"argument 1 is <object"),
        ((5,), {"timeout": 5}, TypeError, r"got timeout twice: 5 by position and timeout=5"),
        ((POOL,), {"timeout": -1}, ValueError, r"timeout must be a finite .* >= 0, got -1"),
        (("1",), {}, TypeError, r"timeout must be a number of seconds"),
    ],
)
def test_bad_ud_shutdown_arguments_fail_naming_them(
    args: tuple[object, ...], kwargs: dict[str, object], exc: type[Exception], match: str
) -> None:
    pool = ud.Pool(max_workers=1)
    try:
        given = tuple(pool if a is POOL else a for a in args)
        with pytest.raises(exc, match=match):
            ud.shutdown(*given, **kwargs)  # type: ignore[call-overload]
        assert pool.submit(abs, -1).result(WAIT) == 1  # a refused call shut nothing down
    finally:
        assert pool.shutdown(timeout=WAIT)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda p: p.shutdown(timeout=-1), ValueError, r"timeout must be a finite .* >= 0, got -1"),
        (lambda p: p.shutdown(timeout="1"), TypeError, r"timeout must be a number of seconds"),
        (lambda p: ud.shutdown(timeout=float("nan")), ValueError, r"timeout must be .* got nan"),
    ],
)
def test_bad_shutdown_timeouts_fail_naming_the_value(call, exc, match) -> None:  # type: ignore[no-untyped-def]
    pool = ud.Pool(max_workers=1)
    with pytest.raises(exc, match=match):
        call(pool)
    assert pool.shutdown(timeout=WAIT)


# ------------------------------------------------- the main thread waits for a worker in call()

_VIRTUAL = """
import threading, uidispatch as ud
d = ud.get_dispatcher("virtual")
pool = ud.Pool(max_workers=2)  # never bound to d: no callbacks
task = pool.submit(d.call, threading.get_ident)  # the worker waits for this main thread
try:
    pool.shutdown(wait=True)
except RuntimeError as exc:
    print("raised:", exc)
print("deadline:", pool.shutdown(wait=True, timeout=0.2))
assert d.run_until(task.done, 10)
print("served on main:", task.result(0) == threading.get_ident())
print("then:", pool.shutdown(wait=True, timeout=10))
"""

_ASYNCIO = """
import asyncio, threading, uidispatch as ud

async def main():
    d = ud.get_dispatcher("asyncio")
    pool = ud.Pool(max_workers=2, dispatcher=d)
    task = pool.submit(d.call, threading.get_ident)
    try:
        pool.shutdown(wait=True)  # an on-close handler running inside the loop
    except RuntimeError as exc:
        print("raised:", exc)
    print("deadline:", pool.shutdown(wait=True, timeout=0.2))
    print("served on main:", await task == threading.get_ident())
    print("then:", pool.shutdown(wait=True, timeout=10))

asyncio.run(main())
"""


@pytest.mark.parametrize("script", [_VIRTUAL, _ASYNCIO], ids=["virtual", "asyncio"])
def test_shutdown_on_the_main_thread_never_hangs_on_a_worker_in_call(script: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("raised: pool 'uidispatch-pool': shutdown(wait=True) on the main")
    assert "is blocked in Dispatcher.call(), waiting for this main thread" in lines[0]
    assert lines[1:] == ["deadline: False", "served on main: True", "then: True"]
    assert "waiting until the timeout" in proc.stderr  # the deadline run logs the cause
