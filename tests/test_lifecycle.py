"""Lifecycle callbacks on_start, on_finish, on_warning: superqt's started, finished, warned."""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

import uidispatch as ud
from uidispatch._work import _task_warnings

if TYPE_CHECKING:
    from conftest import ManualTimers

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    manual_time.use_for(p)
    yield p
    p.shutdown(wait=True, cancel_pending=True, cancel_running=True)


class Events:
    """Every callback of one submit, in the order they ran, with the thread they ran on."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.threads: set[int] = set()
        self.finished: list[ud.Task[Any]] = []

    def _record(self, what: str) -> None:
        self.threads.add(threading.get_ident())
        self.seen.append(what)

    def options(self) -> dict[str, Any]:
        return {
            "on_start": lambda: self._record("start"),
            "on_done": lambda r: self._record(f"done {r}"),
            "on_error": lambda e: self._record(f"error {type(e).__name__}"),
            "on_finish": self.finish,
        }

    def finish(self, task: ud.Task[Any]) -> None:
        assert task.done()
        self.finished.append(task)
        self._record("finish")


def wait_for_cancel() -> None:
    while True:
        ud.check_cancelled()
        threading.Event().wait(0.005)


def boom() -> None:
    raise OSError("disk full")


def occupy(pool: ud.Pool) -> threading.Event:
    """Hold every worker of ``pool`` until the returned gate is set."""
    gate = threading.Event()
    started = [threading.Event() for _ in range(pool.max_workers)]
    for event in started:
        pool.submit(_held_until, event, gate)
    assert all(event.wait(WAIT) for event in started)
    return gate


def _held_until(started: threading.Event, gate: threading.Event) -> None:
    started.set()
    gate.wait(WAIT)


def _wait(predicate: Callable[[], bool]) -> bool:
    """Wait (real time, polling) until ``predicate()`` holds; False after WAIT seconds."""
    tick = threading.Event()
    for _ in range(int(WAIT / 0.005)):
        if predicate():
            return True
        tick.wait(0.005)
    return predicate()


# Each outcome: what to do with the pool, the task whose callbacks are looked at, and
# the callbacks expected, in order.
def _done(pool: ud.Pool, ev: Events, _: ManualTimers) -> ud.Task[Any]:
    return pool.submit(abs, -3, **ev.options())


def _error(pool: ud.Pool, ev: Events, _: ManualTimers) -> ud.Task[Any]:
    return pool.submit(boom, **ev.options())


def _error_after_retries(pool: ud.Pool, ev: Events, _: ManualTimers) -> ud.Task[Any]:
    return pool.submit(boom, retries=2, backoff=0, **ev.options())


def _cancelled_running(pool: ud.Pool, ev: Events, _: ManualTimers) -> ud.Task[Any]:
    task = pool.submit(wait_for_cancel, **ev.options())
    assert _wait(task.running)
    task.cancel()
    return task


def _cancelled_queued(pool: ud.Pool, ev: Events, _: ManualTimers) -> ud.Task[Any]:
    gate = occupy(pool)
    task = pool.submit(abs, 1, **ev.options())
    task.cancel()
    gate.set()
    return task


def _timed_out(pool: ud.Pool, ev: Events, clock: ManualTimers) -> ud.Task[Any]:
    task = pool.submit(wait_for_cancel, timeout=1.0, **ev.options())
    clock.wait_for_timer(at=1.0)
    clock.advance(1.0)
    return task


def _refused(pool: ud.Pool, ev: Events, _: ManualTimers) -> ud.Task[Any]:
    breaker = ud.CircuitBreaker(max_failures=1, reset_after=60)
    with pytest.raises(OSError, match="disk full"):
        pool.submit(boom, breaker=breaker).result(WAIT)
    return pool.submit(abs, 1, breaker=breaker, **ev.options())


def _replaced(pool: ud.Pool, ev: Events, _: ManualTimers) -> ud.Task[Any]:
    running = pool.submit(wait_for_cancel, key="k", if_running="keep_latest")
    waiting = pool.submit(abs, 1, key="k", if_running="keep_latest", **ev.options())
    pool.submit(abs, 2, key="k", if_running="keep_latest")  # replaces (cancels) `waiting`
    running.cancel()
    return waiting


def _dropped(pool: ud.Pool, ev: Events, _: ManualTimers) -> ud.Task[Any]:
    gate = threading.Event()
    running = pool.submit(gate.wait, WAIT, key="k", if_running="drop")
    handed = pool.submit(abs, 1, key="k", if_running="drop", **ev.options())
    assert handed is running
    gate.set()
    return handed


OUTCOMES = {
    "done": (_done, ["start", "done 3", "finish"]),
    "error": (_error, ["start", "error OSError", "finish"]),
    "error-after-retries": (_error_after_retries, ["start", "error OSError", "finish"]),
    "cancelled-running": (_cancelled_running, ["start", "error TaskCancelled", "finish"]),
    "cancelled-queued": (_cancelled_queued, ["error TaskCancelled", "finish"]),
    "timed-out": (_timed_out, ["start", "error TaskTimeout", "finish"]),
    "refused-by-breaker": (_refused, ["error CircuitOpen", "finish"]),
    "replaced-by-keep-latest": (_replaced, ["error TaskCancelled", "finish"]),
    # A dropped call keeps its on_finish only: it follows the task it was handed.
    "dropped": (_dropped, ["finish"]),
}


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_on_finish_runs_once_after_every_outcome_and_after_on_done_or_on_error(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers, outcome: str
) -> None:
    make, expected = OUTCOMES[outcome]
    ev = Events()
    task = make(pool, ev, manual_time)
    assert task.wait_stopped(WAIT)
    assert virtual_dispatcher.run_until(lambda: "finish" in ev.seen, WAIT)
    virtual_dispatcher.run_until(lambda: False, 0.05)  # nothing else may follow
    assert ev.seen == expected
    assert ev.finished == [task]
    assert ev.threads == {threading.get_ident()}  # the main (test) thread


def test_on_start_runs_once_when_the_first_attempt_starts_not_per_retry(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    attempts: list[int] = []
    seen: list[str] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise OSError("again")
        return "ok"

    gate = threading.Event()
    task = pool.submit(
        lambda: (gate.wait(WAIT), flaky())[1],
        retries=5,
        backoff=0,
        on_start=lambda: seen.append(f"start, started_at set: {task.started_at is not None}"),
        on_done=seen.append,
    )
    assert virtual_dispatcher.run_until(lambda: bool(seen), WAIT)  # before the work ends
    assert seen == ["start, started_at set: True"]
    gate.set()
    assert task.result(WAIT) == "ok"
    assert virtual_dispatcher.run_until(lambda: len(seen) == 2, WAIT)
    assert seen[1:] == ["ok"]
    assert len(attempts) == 3


def test_callbacks_added_after_the_fact_run_once_soon_and_on_start_only_if_it_started(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    seen: list[str] = []
    task = pool.submit(abs, -1)
    task.result(WAIT)
    task.on_start(lambda: seen.append("start"))
    task.on_finish(lambda t: seen.append(f"finish {t.result()}"))
    assert virtual_dispatcher.run_until(lambda: len(seen) == 2, WAIT)
    assert seen == ["start", "finish 1"]

    gate = occupy(pool)
    never = pool.submit(abs, 1)
    never.cancel()
    gate.set()
    never.on_start(lambda: seen.append("never started"))
    never.on_finish(lambda t: seen.append(f"finish {t.state.value}"))
    assert virtual_dispatcher.run_until(lambda: len(seen) == 3, WAIT)
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert seen == ["start", "finish 1", "finish cancelled"]


def test_on_start_is_posted_before_the_outcome_even_when_a_cancel_races_the_start(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    # The cancel lands while the starting thread posts on_start: the outcome's callbacks
    # are handed to that thread and posted after it, never before.
    seen: list[str] = []
    posting = threading.Event()
    go_on = threading.Event()
    d_call_soon = virtual_dispatcher.call_soon

    def slow_start() -> None:
        seen.append("start")

    def call_soon(fn: Callable[..., object], *args: Any, **kw: Any) -> None:
        if fn is slow_start:  # the worker posts on_start: let the cancel in first
            posting.set()
            assert go_on.wait(WAIT)
        d_call_soon(fn, *args, **kw)

    virtual_dispatcher.call_soon = call_soon  # type: ignore[method-assign]
    try:
        task = pool.submit(
            wait_for_cancel,
            on_start=slow_start,
            on_error=lambda e: seen.append("error"),
            on_finish=lambda t: seen.append("finish"),
        )
        assert posting.wait(WAIT)
        assert task.cancel()  # resolves now; its callbacks wait for the starter
        go_on.set()
        assert task.wait_stopped(WAIT)
        assert virtual_dispatcher.run_until(lambda: len(seen) == 3, WAIT)
    finally:
        del virtual_dispatcher.call_soon
    assert seen == ["start", "error", "finish"]


def test_the_callbacks_pass_through_ud_submit_operations_and_run_command(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    ud.use(virtual_dispatcher)
    seen: list[str] = []
    pool = ud.Pool(max_workers=2)

    @pool.operation(if_running="enqueue")
    def double(x: int) -> int:
        return 2 * x

    try:
        tasks = [
            ud.submit(abs, -1, on_start=lambda: seen.append("submit start"),
                      on_finish=lambda t: seen.append("submit finish")),
            double.submit(2, on_start=lambda: seen.append("op start"),
                          on_finish=lambda t: seen.append(f"op finish {t.result()}")),
            ud.run_command([sys.executable, "-c", "pass"], pool=pool,
                           on_start=lambda: seen.append("cmd start"),
                           on_finish=lambda t: seen.append(f"cmd finish {t.state.value}")),
        ]  # fmt: skip
        for task in tasks:
            task.result(WAIT)
        assert virtual_dispatcher.run_until(lambda: len(seen) == 6, WAIT)
    finally:
        pool.shutdown(cancel_pending=True)
        ud.shutdown(timeout=WAIT)
    assert sorted(seen) == sorted(
        ["submit start", "submit finish", "op start", "op finish 4", "cmd start",
         "cmd finish done"]
    )  # fmt: skip
    assert seen.index("op start") < seen.index("op finish 4")


def test_on_finish_waits_for_the_busy_state_to_settle_after_it(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    seen: list[str] = []
    task = pool.submit(abs, 1, on_finish=lambda t: seen.append(f"finish busy={pool.busy()}"))
    task.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: bool(seen) and not pool.busy(), WAIT)
    assert seen == ["finish busy=True"]  # the spinner stops after on_finish, not before


async def _a_coroutine_function() -> None:
    pass


@pytest.mark.parametrize("option", ["on_start", "on_finish", "on_warning"])
@pytest.mark.parametrize(
    ("value", "match"),
    [
        (3, r"must be callable, got 3"),
        (_a_coroutine_function, r"must be a plain function, got a coroutine function"),
    ],
)
def test_bad_lifecycle_callbacks_fail_at_the_call_site_naming_the_option(
    pool: ud.Pool, option: str, value: object, match: str
) -> None:
    with pytest.raises(TypeError, match=rf"^{option} {match}"):
        pool.submit(abs, 1, **{option: value})
    task = pool.submit(abs, 1)
    with pytest.raises(TypeError, match=rf"^{option} {match}"):
        getattr(task, option)(value)
    assert pool.stats().submitted == 1


def test_on_warning_is_refused_on_a_pool_whose_work_runs_on_an_executor() -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        pool = ud.Pool(executor=executor)
        try:
            with pytest.raises(ValueError, match=r"on_warning= watches the work's own thread"):
                pool.submit(abs, 1, on_warning=print)
        finally:
            pool.shutdown()


# ---------------------------------------------------------------------- on_warning


def _warn(text: str, category: type[Warning] = UserWarning) -> str:
    warnings.warn(text, category, stacklevel=1)
    return text


@pytest.mark.filterwarnings("always")
def test_on_warning_gets_each_warning_of_its_own_work_as_a_warning_message(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    got: list[warnings.WarningMessage] = []
    before = warnings.showwarning
    task = pool.submit(
        lambda: (_warn("first"), _warn("second", DeprecationWarning))[1], on_warning=got.append
    )
    assert task.result(WAIT) == "second"
    assert virtual_dispatcher.run_until(lambda: len(got) == 2, WAIT)
    assert [(str(m.message), m.category) for m in got] == [
        ("first", UserWarning),
        ("second", DeprecationWarning),
    ]
    assert got[0].filename == __file__
    assert isinstance(got[0], warnings.WarningMessage)
    assert warnings.showwarning is before  # the hook is gone once no task watches


@pytest.mark.filterwarnings("always")
def test_concurrent_tasks_each_get_their_own_warnings_and_other_threads_keep_theirs(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    both_in = threading.Barrier(2, timeout=WAIT)
    main_warned = threading.Event()

    def work(name: str) -> None:
        both_in.wait()
        assert main_warned.wait(WAIT)
        for i in range(20):
            _warn(f"{name} {i}")

    got: dict[str, list[str]] = {"a": [], "b": []}
    tasks = [
        pool.submit(work, name, on_warning=lambda m, n=name: got[n].append(str(m.message)))
        for name in got
    ]
    # A warning of the main thread while both tasks watch: it goes where it always went.
    with pytest.warns(UserWarning, match="the app's own"):
        _warn("the app's own")
    main_warned.set()
    for task in tasks:
        task.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: len(got["a"]) + len(got["b"]) == 40, WAIT)
    assert got == {name: [f"{name} {i}" for i in range(20)] for name in got}


@pytest.mark.filterwarnings("always")
def test_a_coroutine_tasks_warnings_reach_its_on_warning(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    got: list[str] = []

    async def work() -> int:
        await asyncio.sleep(0)
        _warn("from a coroutine")
        return 1

    assert pool.submit(work, on_warning=lambda m: got.append(str(m.message))).result(WAIT) == 1
    assert virtual_dispatcher.run_until(lambda: bool(got), WAIT)
    assert got == ["from a coroutine"]


@pytest.mark.filterwarnings("always")
def test_the_hook_comes_back_after_catch_warnings_replaced_it_and_never_clobbers_another(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    got: list[str] = []
    gate = threading.Event()

    def work() -> None:
        assert gate.wait(WAIT)
        _warn("one")

    def again() -> None:
        _warn("two")

    first = pool.submit(work, on_warning=lambda m: got.append(str(m.message)))
    with warnings.catch_warnings(record=True) as caught:  # replaces the hook for its block
        warnings.simplefilter("always")
        later = pool.submit(again, on_warning=lambda m: got.append(str(m.message)))
        assert later.result(WAIT) is None  # its start put the hook back
        gate.set()
        first.result(WAIT)
    assert virtual_dispatcher.run_until(lambda: len(got) == 2, WAIT)
    assert sorted(got) == ["one", "two"]
    assert caught == []

    mine = functools.partial(print)  # another library's hook, installed after ours
    task = pool.submit(threading.Event().wait, WAIT, on_warning=print)
    old = warnings.showwarning
    warnings.showwarning = mine  # type: ignore[assignment]
    try:
        task.cancel()
        assert warnings.showwarning is mine  # uninstalling ours left theirs alone
    finally:
        warnings.showwarning = old
    assert _task_warnings._watching == 0
