"""Races: close() against posters and waiters, backpressure against many producers, and the
process exiting with workers still running; no hang, no lost waiter, nothing uncounted.

Each race is run for several rounds with fresh dispatchers so different interleavings are
hit; the accounting is checked against counts kept by the producers themselves, so
``posted == executed + dropped`` is not merely the derived identity of ``stats()``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import uidispatch as ud
from uidispatch._backends._virtual import VirtualBackend
from uidispatch.testing import ErrorCollector, wait_until

Dispatcher = ud.Dispatcher

ROUNDS = 6
THREADS = 6


class CountingBackend(VirtualBackend):
    """A virtual backend that counts how often it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.close_calls = 0
        self._count_lock = threading.Lock()

    def close(self) -> None:
        with self._count_lock:
            self.close_calls += 1
        super().close()


@pytest.fixture
def fresh() -> Iterator[Callable[[], Dispatcher]]:
    made: list[Dispatcher] = []

    def make() -> Dispatcher:
        d = ud.Dispatcher(CountingBackend())
        d.error_handler = ErrorCollector()
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()
        assert d.error_handler.take() == []  # type: ignore[attr-defined]


class Outcome:
    """What the producers saw: calls accepted, waiters answered, waiters refused."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted = 0
        self.refused = 0
        self.waited_ok = 0
        self.waited_closed = 0
        self.other: list[BaseException] = []


def posters_and_waiters(
    d: Dispatcher, outcome: Outcome, ran: list[int], stop: threading.Event
) -> list[threading.Thread]:
    """Half the threads post with call_soon until closed, half wait in call() until closed."""
    # All start together once created: starting threads one by one under a flood is slow.
    go = threading.Barrier(THREADS + 1)

    def post() -> None:
        go.wait(5)
        accepted = refused = 0
        try:
            while not stop.is_set():
                try:
                    d.call_soon(ran.append, 1)
                except ud.DispatcherClosed:
                    refused += 1
                    return
                accepted += 1
        finally:
            with outcome.lock:
                outcome.accepted += accepted
                outcome.refused += refused

    def wait() -> None:
        go.wait(5)
        while not stop.is_set():
            try:
                d.call(ran.append, 1, timeout=30)
            except ud.DispatcherClosed:
                with outcome.lock:
                    outcome.waited_closed += 1
                return
            except BaseException as exc:  # a hang turned timeout, or anything unexpected
                with outcome.lock:
                    outcome.other.append(exc)
                return
            with outcome.lock:
                outcome.waited_ok += 1

    threads = [threading.Thread(target=post if i % 2 else wait) for i in range(THREADS)]
    for t in threads:
        t.start()
    go.wait(5)
    return threads


def finish(threads: list[threading.Thread], stop: threading.Event) -> None:
    stop.set()
    for t in threads:
        t.join(10)
        assert not t.is_alive(), "a poster or waiter hung after close()"


def check_accounting(d: Dispatcher, outcome: Outcome, ran: list[int]) -> None:
    assert outcome.other == []
    s = d.stats()
    assert s.pending == 0
    # Every accepted call and every waiter that was answered ran once or was counted
    # dropped; a waiter refused by close() may have been queued (then it is counted
    # dropped) or refused before queueing (then it is not posted at all).
    assert s.executed == len(ran)
    assert outcome.waited_ok <= s.executed
    accepted = outcome.accepted + outcome.waited_ok
    assert accepted <= s.posted <= accepted + outcome.waited_closed
    assert s.posted == s.executed + s.dropped + s.coalesced
    backend: Any = d.backend
    if isinstance(backend, CountingBackend):
        assert backend.close_calls == 1


@pytest.mark.parametrize("run_pending", [False, True])
def test_close_on_the_main_thread_against_posters_and_waiters(
    fresh: Callable[[], Dispatcher], run_pending: bool
) -> None:
    for _ in range(ROUNDS):
        d = fresh()
        outcome, ran, stop = Outcome(), [], threading.Event()
        threads = posters_and_waiters(d, outcome, ran, stop)
        wait_until(d, lambda: len(ran) > 200, timeout=10)  # noqa: B023 - read at once
        d.close(run_pending=run_pending)
        finish(threads, stop)
        check_accounting(d, outcome, ran)


@pytest.mark.parametrize("run_pending", [False, True])
def test_close_from_a_worker_against_posters_waiters_and_a_draining_main_thread(
    fresh: Callable[[], Dispatcher], run_pending: bool
) -> None:
    for _ in range(ROUNDS):
        d = fresh()
        backend: Any = d.backend
        outcome, ran, stop = Outcome(), [], threading.Event()
        threads = posters_and_waiters(d, outcome, ran, stop)
        wait_until(d, lambda: len(ran) > 200, timeout=10)  # noqa: B023
        closer = threading.Thread(target=d.close, kwargs={"run_pending": run_pending})
        closer.start()
        # The main thread keeps draining while the worker closes: both pop the lanes.
        wait_until(d, lambda: not closer.is_alive(), timeout=10)  # noqa: B023
        stop.set()
        # With run_pending from a worker the final drain, which answers the last
        # waiters, is the main loop's job: keep pumping until everyone is done.
        wait_until(
            d,
            lambda: backend.closed and not any(t.is_alive() for t in threads),  # noqa: B023
            timeout=10,
        )
        finish(threads, stop)
        check_accounting(d, outcome, ran)


@pytest.mark.parametrize("run_pending", [False, True])
def test_close_from_a_worker_against_posters_and_waiters_on_a_real_asyncio_loop(
    run_pending: bool,
) -> None:
    async def round_trip() -> tuple[Dispatcher, Outcome, list[int]]:
        d = ud.get_dispatcher("asyncio")
        outcome, ran, stop = Outcome(), [], threading.Event()
        threads = posters_and_waiters(d, outcome, ran, stop)
        deadline = time.monotonic() + 10
        while len(ran) < 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        closer = threading.Thread(target=d.close, kwargs={"run_pending": run_pending})
        closer.start()
        # The loop keeps running (and draining) while the worker closes and the
        # posters and waiters find out; with run_pending the final drain is ours.
        while (closer.is_alive() or any(t.is_alive() for t in threads)) and (
            time.monotonic() < deadline + 10
        ):
            if not closer.is_alive():  # posting went on until close() returned
                stop.set()
            await asyncio.sleep(0.001)
        finish([closer, *threads], stop)
        await asyncio.sleep(0)
        return d, outcome, ran

    for _ in range(3):
        d, outcome, ran = asyncio.run(round_trip())
        assert d.closed
        check_accounting(d, outcome, ran)


def test_concurrent_close_from_many_threads_closes_the_backend_once(
    fresh: Callable[[], Dispatcher],
) -> None:
    for _ in range(ROUNDS):
        d = fresh()
        for i in range(100):
            d.call_soon(lambda: None, priority=list(ud.Priority)[i % 5])
        go = threading.Barrier(THREADS)
        closers = [
            threading.Thread(target=lambda: (go.wait(5), d.close()))  # noqa: B023
            for _ in range(THREADS)
        ]
        for t in closers:
            t.start()
        for t in closers:
            t.join(10)
            assert not t.is_alive()
        backend: Any = d.backend
        s = d.stats()
        assert (s.dropped, s.pending, backend.close_calls) == (100, 0, 1)


class _ClosesBeforeAppending(collections.deque):  # type: ignore[type-arg]
    """A lane whose next append first closes the dispatcher: the race, forced."""

    def __init__(self, d: Dispatcher) -> None:
        super().__init__()
        self.d = d

    def append(self, entry: object) -> None:
        self.d.close()
        super().append(entry)


@pytest.mark.parametrize("wait", [True, False], ids=["call", "call_soon"])
def test_a_call_that_close_finished_before_its_append_is_dropped_as_close_drops_it(
    virtual_dispatcher: Dispatcher, wait: bool
) -> None:
    # The caller saw the queue open, then close() ran to its end before the append: a Qt
    # waiter was told only "the dispatcher was closed" (once, in a Qt run under load).
    d = virtual_dispatcher
    q: Any = d._q
    lanes = list(q._lanes)
    lanes[ud.Priority.NORMAL] = _ClosesBeforeAppending(d)
    q._lanes = tuple(lanes)
    got: list[BaseException] = []

    def worker() -> None:
        try:
            if wait:
                d.call(len, ())
            else:
                d.call_soon(len, ())
        except ud.DispatcherClosed as exc:
            got.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    assert not t.is_alive()
    assert d.closed
    assert d.stats().dropped == 1
    if wait:
        assert [str(e) for e in got] == ["the dispatcher was closed before this call ran"]
    else:
        assert got == []  # call_soon returned: the entry is dropped and counted


def test_waiters_with_timeouts_racing_the_drain_are_answered_exactly_once(
    virtual_dispatcher: Dispatcher,
) -> None:
    # Timeouts short enough that some expire while their entry is about to run: each call
    # either returns (and ran once) or raises TimeoutError (and never runs).
    d = virtual_dispatcher
    ran: list[int] = []
    results: list[str] = []
    lock = threading.Lock()

    def wait(i: int) -> None:
        for j in range(200):
            try:
                d.call(ran.append, i * 1000 + j, timeout=0.0005)
                status = "ok"
            except TimeoutError:
                status = "timeout"
            with lock:
                results.append(status)

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    wait_until(d, lambda: len(results) == 800 and d.stats().pending == 0, timeout=30)
    for t in threads:
        t.join(5)
    s = d.stats()
    assert results.count("ok") == len(ran) == s.executed
    assert results.count("timeout") == s.dropped
    assert len(set(ran)) == len(ran)


@pytest.mark.skipif(
    ud.compiled, reason="replaces the queue's pending() to force the race; compiled calls bypass it"
)
@pytest.mark.parametrize("policy", ["block", "drop_oldest"])
def test_max_pending_is_never_exceeded_by_two_racing_producers(
    virtual_dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=2, overflow=policy)
    d.call_soon(lambda: None)  # one slot left
    q: Any = d._q
    real_pending = q.pending
    both_checked = threading.Barrier(2)
    held = threading.local()

    def pending() -> int:
        n: int = real_pending()
        if threading.current_thread() is not threading.main_thread() and not getattr(
            held, "done", False
        ):
            # Try to make both producers read "one slot left" before either appends (a
            # scheduling the GIL produces by itself now and then under load). A queue
            # that checks under its lock never lets them meet: the wait times out.
            held.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait(0.2)
        return n

    def produce() -> None:
        with contextlib.suppress(ud.DispatcherClosed):  # a blocked producer, released below
            d.call_soon(lambda: None)

    monkeypatch.setattr(q, "pending", pending)
    threads = [threading.Thread(target=produce) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while sum(t.is_alive() for t in threads) > (1 if policy == "block" else 0):
        assert time.monotonic() < deadline, "no producer finished"
        time.sleep(0.001)
    assert real_pending() <= 2
    d.close()  # releases the producer that "block" keeps waiting for room
    for t in threads:
        t.join(5)
        assert not t.is_alive()
    monkeypatch.undo()
    assert d.stats().posted <= 3


class _Bookkeeping:
    """Library bookkeeping at the head of a lane; the drain pops the lane while it is looked at.

    The drain takes entries from the head without the queue's lock, so a drop_oldest scan
    that meets this entry sees the lane change under it: the race, forced.
    """

    def __init__(self, lane: collections.deque[Any], ran: list[object]) -> None:
        self.lane = lane
        self.ran = ran
        self.drained: list[object] = []

    @property
    def _uidispatch_never_dropped(self) -> bool:
        if not self.drained and self.lane:
            fn, args, _owner = self.lane.popleft()  # the drain runs the head meanwhile
            fn(*args)
            self.drained.append(fn)
        return True

    def __call__(self) -> None:
        self.ran.append("bookkeeping")


def test_drop_oldest_keeps_the_bookkeeping_in_place_while_the_drain_pops_the_lane(
    virtual_dispatcher: Dispatcher,
) -> None:
    # Once in a CI run under load: a producer's drop_oldest scan deleted by an index the
    # drain had just shifted, and the producer died with IndexError.
    d = virtual_dispatcher
    q: Any = d._q
    lane = q._lanes[ud.Priority.NORMAL]
    ran: list[object] = []
    d.configure(max_pending=3, overflow="drop_oldest")
    d.call_soon(_Bookkeeping(lane, ran))
    d.call_soon(ran.append, 1)
    d.call_soon(ran.append, 2)
    errors: list[BaseException] = []

    def produce() -> None:
        try:
            d.call_soon(ran.append, 3)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=produce)
    t.start()
    t.join(10)
    assert not t.is_alive()
    assert errors == []
    assert d.run_until(lambda: len(lane) == 0, 5)
    # The drain ran call 1 while the scan held the bookkeeping, so call 2 was the oldest
    # the policy may drop; the bookkeeping kept its place at the head.
    assert ran == [1, "bookkeeping", 3]
    s = d.stats()
    assert (s.dropped, s.pending) == (1, 0)


def test_blocked_producers_all_resume_and_run_in_order_when_the_main_thread_drains(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=4, overflow="block")
    out: list[list[int]] = [[] for _ in range(THREADS)]

    def produce(i: int) -> None:
        for j in range(500):
            d.call_soon(out[i].append, j)

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    wait_until(d, lambda: all(len(o) == 500 for o in out), timeout=30)
    for t in threads:
        t.join(5)
        assert not t.is_alive()
    assert all(o == list(range(500)) for o in out)


def test_close_releases_producers_blocked_on_a_full_queue(fresh: Callable[[], Dispatcher]) -> None:
    for _ in range(4):
        d = fresh()
        d.configure(max_pending=3, overflow="block")
        outcome = Outcome()
        ran: list[int] = []
        stop = threading.Event()

        def post() -> None:
            try:
                while True:
                    d.call_soon(ran.append, 1)  # noqa: B023
                    with outcome.lock:  # noqa: B023
                        outcome.accepted += 1  # noqa: B023
            except ud.DispatcherClosed:
                with outcome.lock:  # noqa: B023
                    outcome.refused += 1  # noqa: B023

        threads = [threading.Thread(target=post) for _ in range(THREADS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        while d._q._blocked < THREADS and time.monotonic() < deadline:
            time.sleep(0.001)
        d.close()
        finish(threads, stop)
        assert outcome.refused == THREADS
        s = d.stats()
        assert ran == []
        assert s.dropped == s.posted
        assert outcome.accepted <= s.posted <= outcome.accepted + THREADS


# ----------------------------------------------------------------- interpreter exit

EXIT_WITH_POSTERS = """
import threading, uidispatch as ud
d = ud.get_dispatcher("virtual")

def flood():
    while True:
        try:
            d.call_soon(lambda: None)
        except ud.DispatcherClosed:
            return

for _ in range(4):
    threading.Thread(target=flood, daemon={daemon}).start()
d.run_until(lambda: d.stats().executed > 1000, 10)
{ending}
print("main done", flush=True)
"""


@pytest.mark.parametrize(
    ("daemon", "ending"),
    [
        pytest.param(True, "", id="daemon-posters-dispatcher-left-open"),
        pytest.param(False, "d.close()", id="posters-stopped-by-close"),
    ],
)
def test_the_process_exits_while_workers_are_still_posting(daemon: bool, ending: str) -> None:
    src = textwrap.dedent(EXIT_WITH_POSTERS).format(daemon=daemon, ending=ending)
    proc = subprocess.run(
        [sys.executable, "-c", src], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "main done" in proc.stdout
    assert "Traceback" not in proc.stderr


EXIT_WITH_WAITERS = """
import threading, uidispatch as ud
d = ud.get_dispatcher("virtual")
results = []

def wait():
    try:
        d.call(lambda: None)
    except ud.DispatcherClosed:
        results.append("closed")

threads = [threading.Thread(target=wait) for _ in range(4)]
for t in threads:
    t.start()
while d.stats().pending < 4:
    pass
d.close()
for t in threads:
    t.join()
print(results, flush=True)
"""


def test_the_process_exits_when_closed_with_waiters_blocked_in_call() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(EXIT_WITH_WAITERS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "['closed', 'closed', 'closed', 'closed']" in proc.stdout


# ----------------------------------------------------------------- pool


def double(i: int) -> int:
    return i * 2


@pytest.mark.parametrize("cancel_pending", [False, True])
def test_pool_shutdown_concurrent_with_submit_resolves_every_accepted_task(
    virtual_dispatcher: Dispatcher, cancel_pending: bool
) -> None:
    for _ in range(4):
        pool = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
        tasks: list[ud.Task] = []
        refused: list[BaseException] = []
        lock = threading.Lock()
        go = threading.Barrier(THREADS + 1)

        def submit_many() -> None:
            go.wait(5)  # noqa: B023
            for i in range(300):
                try:
                    task = pool.submit(double, i)  # noqa: B023
                except RuntimeError as exc:
                    with lock:  # noqa: B023
                        refused.append(exc)  # noqa: B023
                    return
                with lock:  # noqa: B023
                    tasks.append(task)  # noqa: B023

        threads = [threading.Thread(target=submit_many) for _ in range(THREADS)]
        for t in threads:
            t.start()
        go.wait(5)
        closer = threading.Thread(
            target=pool.shutdown, kwargs={"wait": True, "cancel_pending": cancel_pending}
        )
        closer.start()
        for t in [*threads, closer]:
            t.join(20)
            assert not t.is_alive(), "submit() or shutdown() hung"
        # shutdown(wait=True) returned: every accepted task has an outcome, exactly one.
        for task in tasks:
            assert task.done()
            if task.cancelled():
                assert task.state is ud.TaskState.CANCELLED
                with pytest.raises(ud.TaskCancelled):
                    task.result(0)
            else:
                assert task.state is ud.TaskState.DONE
                assert task.result(0) % 2 == 0
        s = pool.stats()
        assert s.submitted == len(tasks)
        assert s.completed + s.cancelled == len(tasks)
        assert (s.queued, s.running, s.failed) == (0, 0, 0)
        if not cancel_pending:
            assert s.cancelled == 0
        with pytest.raises(RuntimeError):
            pool.submit(double, 1)
        assert all("shut" in str(exc) for exc in refused)


def test_cancel_racing_completion_gives_one_outcome_and_each_callback_once(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    n = 400

    def work(i: int) -> int:
        for _ in range(5):  # about 1 ms, stoppable at each step
            ud.check_cancelled()
            time.sleep(0.0002)
        return i

    pool = ud.Pool(max_workers=4, dispatcher=d)
    done: list[list[int]] = [[] for _ in range(n)]
    errors: list[list[BaseException]] = [[] for _ in range(n)]
    finished: list[int] = [0] * n
    tasks = []
    for i in range(n):
        task = pool.submit(work, i, on_done=done[i].append, on_error=errors[i].append)
        task.add_done_callback(lambda _t, i=i: finished.__setitem__(i, finished[i] + 1))
        tasks.append(task)
    answers: list[list[bool]] = [[] for _ in range(n)]

    def cancel_all() -> None:
        # Sweep along the running front: once task k has started, cancel k-3, k and k+2,
        # so cancel() meets finished, finishing, running and queued tasks alike.
        for k in range(0, n, 5):
            deadline = time.monotonic() + 5
            while tasks[k].state is ud.TaskState.PENDING and time.monotonic() < deadline:
                time.sleep(0)
            for i in (k - 3, k, k + 2):
                if not 0 <= i < n:
                    continue
                answers[i].append(tasks[i].cancel())
                answers[i].append(tasks[i].cancel())  # idempotent: nothing changes

    canceller = threading.Thread(target=cancel_all)
    canceller.start()
    wait_until(
        d,
        lambda: (
            not canceller.is_alive() and all(len(done[i]) + len(errors[i]) == 1 for i in range(n))
        ),
        timeout=30,
        what="every task's callback",
    )
    pool.shutdown(wait=True)
    d.run_until(lambda: False, 0.05)  # a duplicate delivery would land now
    for i, task in enumerate(tasks):
        assert finished[i] == 1, f"task {i}: add_done_callback ran {finished[i]} times"
        if task.cancelled():
            # Exactly the first cancel() won. (A plain Future answers True again on a
            # second cancel(); Task answers False: both leave the task cancelled.)
            assert answers[i][0], f"task {i}: cancel() said {answers[i]}"
            assert done[i] == []
            assert len(errors[i]) == 1
            assert isinstance(errors[i][0], ud.TaskCancelled)
        else:
            assert not any(answers[i]), f"task {i} finished but cancel() said {answers[i]}"
            assert task.result(0) == i
            assert (done[i], errors[i]) == ([i], [])
    s = pool.stats()
    assert s.completed + s.cancelled == n
    assert s.completed == sum(1 for t in tasks if not t.cancelled())


EXIT_WITH_POOL_WORKERS = """
import threading, time, uidispatch as ud

started = threading.Event()

def cooperative():
    started.set()
    while True:
        ud.check_cancelled()
        time.sleep(0.01)

def stubborn():  # never checks for cancellation
    while True:
        time.sleep(0.01)

def progress():
    while True:
        yield 1
        time.sleep(0.01)

submit = {submit}
running = [submit(cooperative), submit(stubborn), submit(progress)]
queued = [submit(time.sleep, 30) for _ in range(10)]
started.wait(10)
print("leaving with", sum(not t.done() for t in running + queued), "tasks unfinished", flush=True)
"""


@pytest.mark.parametrize(
    "submit",
    [
        pytest.param("ud.Pool(max_workers=3).submit", id="own-pool"),
        pytest.param("ud.submit", id="default-pool"),
    ],
)
def test_the_process_exits_with_pool_workers_still_running(submit: str) -> None:
    src = textwrap.dedent(EXIT_WITH_POOL_WORKERS).format(submit=submit)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", src], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "leaving with 13 tasks unfinished" in proc.stdout
    assert "Traceback" not in proc.stderr
    # Exit waits neither for the running loops nor for the queued 30 s sleeps.
    assert time.monotonic() - start < 30
