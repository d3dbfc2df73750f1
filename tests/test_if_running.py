"""Per-key concurrency policies (``if_running=``): order, callbacks exactly once, stats."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import uidispatch as ud

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    p._sched.clock = virtual_dispatcher.backend.now  # type: ignore[attr-defined]
    yield p
    p.shutdown(wait=True, cancel_pending=True)


class Recorder:
    """Worker functions that wait for a release and record start/end order."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.gates: dict[str, threading.Event] = {}
        self.started: dict[str, threading.Event] = {}
        self.lock = threading.Lock()

    def job(self, name: str) -> Callable[[], str]:
        gate = self.gates[name] = threading.Event()
        started = self.started[name] = threading.Event()

        def work() -> str:
            with self.lock:
                self.events.append(f"start {name}")
            started.set()
            while not gate.wait(0.01):
                ud.check_cancelled()
            with self.lock:
                self.events.append(f"end {name}")
            return name

        return work

    def release(self, name: str) -> None:
        self.gates[name].set()


def settle(d: ud.Dispatcher, *tasks: ud.Task[Any]) -> None:
    for task in tasks:
        task.wait_stopped(WAIT)
    assert d.run_until(lambda: all(t.done() for t in tasks), WAIT)
    d.run_until(lambda: False, 0.05)  # let every callback posted so far run


def test_join_returns_the_running_task_and_runs_every_callers_callbacks_once(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    rec = Recorder()
    seen: list[tuple[str, str]] = []
    first = pool.submit(rec.job("a"), key="k", on_done=lambda r: seen.append(("first", r)))
    second = pool.submit(
        rec.job("b"), key="k", if_running="join", on_done=lambda r: seen.append(("second", r))
    )
    assert second is first
    rec.release("a")
    settle(virtual_dispatcher, first)
    assert seen == [("first", "a"), ("second", "a")]
    stats = pool.stats()
    assert (stats.submitted, stats.reused, stats.dropped, stats.completed) == (1, 1, 0, 1)


def test_drop_returns_the_running_task_without_this_callers_callbacks(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    rec = Recorder()
    seen: list[str] = []
    first = pool.submit(rec.job("a"), key="k", if_running="drop", on_done=seen.append)
    errors: list[BaseException] = []
    again = pool.submit(
        rec.job("b"), key="k", if_running="drop", on_done=seen.append, on_error=errors.append
    )
    assert again is first
    rec.release("a")
    settle(virtual_dispatcher, first)
    assert seen == ["a"]
    assert errors == []
    assert rec.events == ["start a", "end a"]
    stats = pool.stats()
    assert (stats.submitted, stats.dropped, stats.reused, stats.completed) == (1, 1, 0, 1)
    # Once it finished, the key is free: the next click runs.
    third = pool.submit(rec.job("c"), key="k", if_running="drop", on_done=seen.append)
    assert third is not first
    rec.release("c")
    settle(virtual_dispatcher, third)
    assert seen == ["a", "c"]


def test_drop_ignores_a_result_kept_for_ttl(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    cached = pool.submit(lambda: 1, key="k", ttl=10.0)
    cached.result(WAIT)
    assert pool.submit(lambda: 2, key="k") is cached  # join honours ttl
    fresh = pool.submit(lambda: 3, key="k", if_running="drop")
    assert fresh is not cached
    assert fresh.result(WAIT) == 3
    assert pool.stats().dropped == 0


@pytest.mark.parametrize("policy", ["join", "drop"])
def test_ttl_hands_out_a_result_until_it_expires_for_join_and_drop_alike(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, policy: str
) -> None:
    runs: list[int] = []
    seen: list[tuple[str, object]] = []

    def fetch() -> int:
        runs.append(1)
        return len(runs)

    def submit(who: str) -> ud.Task[Any]:
        return pool.submit(
            fetch,
            key="k",
            ttl=10.0,
            if_running=policy,
            on_done=lambda r: seen.append((who, r)),
            on_finish=lambda t: seen.append((f"{who} finish", t.result())),
        )

    first = submit("first")
    assert first.result(WAIT) == 1
    virtual_dispatcher.backend.advance(9.0)  # type: ignore[attr-defined]
    cached = submit("cached")
    assert cached is first  # within the ttl: no second run
    settle(virtual_dispatcher, first)
    virtual_dispatcher.backend.advance(1.0)  # type: ignore[attr-defined]
    fresh = submit("fresh")
    assert fresh is not first
    assert fresh.result(WAIT) == 2
    settle(virtual_dispatcher, fresh)
    assert runs == [1, 1]
    stats = pool.stats()
    if policy == "join":  # the cached call's callbacks are added, as a join's are
        assert ("cached", 1) in seen
        assert (stats.reused, stats.dropped) == (1, 0)
    else:  # a drop adds none of them, on_finish aside
        assert ("cached", 1) not in seen
        assert (stats.reused, stats.dropped) == (0, 1)
    assert ("cached finish", 1) in seen
    assert ("fresh", 2) in seen


def test_drop_with_ttl_still_returns_the_running_task_and_never_keeps_a_failure(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    rec = Recorder()
    running = pool.submit(rec.job("a"), key="k", ttl=10.0, if_running="drop")
    assert pool.submit(rec.job("b"), key="k", ttl=10.0, if_running="drop") is running
    rec.release("a")
    settle(virtual_dispatcher, running)

    def fail() -> None:
        raise OSError("down")

    failed = pool.submit(fail, key="f", ttl=10.0, if_running="drop")
    with pytest.raises(OSError, match="down"):
        failed.result(WAIT)
    again = pool.submit(lambda: "up", key="f", ttl=10.0, if_running="drop")
    assert again is not failed
    assert again.result(WAIT) == "up"


def test_an_operation_may_combine_drop_and_ttl(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    runs: list[int] = []

    @pool.operation(if_running="drop", ttl=5.0)
    def refresh() -> int:
        runs.append(1)
        return len(runs)

    task = refresh.submit()
    assert task.result(WAIT) == 1
    assert refresh.submit() is task
    virtual_dispatcher.backend.advance(5.0)  # type: ignore[attr-defined]
    assert refresh.submit().result(WAIT) == 2


def test_restart_cancels_the_running_task_and_starts_the_new_one(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    rec = Recorder()
    done: list[str] = []
    errors: list[BaseException] = []
    old = pool.submit(
        rec.job("a"), key="q", if_running="restart", on_done=done.append, on_error=errors.append
    )
    assert rec.started["a"].wait(WAIT)
    new = pool.submit(
        rec.job("b"), key="q", if_running="restart", on_done=done.append, on_error=errors.append
    )
    assert new is not old
    assert old.cancelled()
    assert old.wait_stopped(WAIT)  # its thread reached check_cancelled and stopped
    rec.release("b")
    settle(virtual_dispatcher, old, new)
    assert done == ["b"]
    assert len(errors) == 1
    assert isinstance(errors[0], ud.TaskCancelled)
    assert "end a" not in rec.events
    stats = pool.stats()
    assert (stats.submitted, stats.cancelled, stats.completed) == (2, 1, 1)


def test_restart_also_cancels_the_tasks_waiting_behind_the_key(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    rec = Recorder()
    a = pool.submit(rec.job("a"), key="q", if_running="enqueue")
    b = pool.submit(rec.job("b"), key="q", if_running="enqueue")
    c = pool.submit(rec.job("c"), key="q", if_running="restart")
    assert a.cancelled()
    assert b.cancelled()
    rec.release("c")
    assert c.result(WAIT) == "c"
    assert "start b" not in rec.events


def test_enqueue_runs_one_at_a_time_in_submission_order(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    rec = Recorder()
    done: list[str] = []
    tasks = [
        pool.submit(rec.job(n), key="save", if_running="enqueue", on_done=done.append)
        for n in "abc"
    ]
    assert len({t.id for t in tasks}) == 3
    assert rec.started["a"].wait(WAIT)
    assert [t.state for t in tasks[1:]] == [ud.TaskState.PENDING] * 2
    assert pool.stats().queued == 2
    assert pool.tasks() == tasks
    for name in "abc":
        rec.release(name)
    settle(virtual_dispatcher, *tasks)
    assert rec.events == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert done == ["a", "b", "c"]
    stats = pool.stats()
    assert (stats.submitted, stats.completed, stats.queued) == (3, 3, 0)


def test_enqueue_skips_a_waiting_task_that_was_cancelled(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    rec = Recorder()
    _a, b, c = (pool.submit(rec.job(n), key="k", if_running="enqueue") for n in "abc")
    b.cancel()
    rec.release("a")
    rec.release("c")
    assert c.result(WAIT) == "c"
    assert rec.events == ["start a", "end a", "start c", "end c"]
    assert pool.stats().cancelled == 1


def test_keep_latest_keeps_one_waiting_and_cancels_the_replaced(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    rec = Recorder()
    done: list[str] = []
    errors: list[BaseException] = []

    def submit(name: str) -> ud.Task[Any]:
        return pool.submit(
            rec.job(name),
            key="preview",
            if_running="keep_latest",
            on_done=done.append,
            on_error=errors.append,
        )

    a = submit("a")
    assert rec.started["a"].wait(WAIT)
    b, c, d = submit("b"), submit("c"), submit("d")
    assert b.cancelled()
    assert c.cancelled()
    assert d.state is ud.TaskState.PENDING
    assert pool.stats().queued == 1
    rec.release("a")
    rec.release("d")
    settle(virtual_dispatcher, a, b, c, d)
    assert rec.events == ["start a", "end a", "start d", "end d"]
    assert done == ["a", "d"]
    assert len(errors) == 2
    assert all(isinstance(e, ud.TaskCancelled) for e in errors)
    stats = pool.stats()
    assert (stats.submitted, stats.completed, stats.cancelled) == (4, 2, 2)


def test_keep_latest_starts_at_once_when_the_key_is_free(pool: ud.Pool) -> None:
    assert pool.submit(lambda: 5, key="k", if_running="keep_latest").result(WAIT) == 5


def test_join_behind_a_queue_joins_the_newest_task(pool: ud.Pool) -> None:
    rec = Recorder()
    pool.submit(rec.job("a"), key="k", if_running="enqueue")
    b = pool.submit(rec.job("b"), key="k", if_running="enqueue")
    assert pool.submit(rec.job("c"), key="k") is b
    rec.release("a")
    rec.release("b")
    assert b.result(WAIT) == "b"


def test_shutdown_waits_for_the_tasks_held_behind_a_key(pool: ud.Pool) -> None:
    rec = Recorder()
    tasks = [pool.submit(rec.job(n), key="k", if_running="enqueue") for n in "ab"]
    for name in "ab":
        rec.release(name)
    pool.shutdown(wait=True)
    assert [t.result(0) for t in tasks] == ["a", "b"]


def test_shutdown_cancel_pending_cancels_the_tasks_held_behind_a_key(pool: ud.Pool) -> None:
    rec = Recorder()
    a = pool.submit(rec.job("a"), key="k", if_running="enqueue")
    b = pool.submit(rec.job("b"), key="k", if_running="enqueue")
    assert rec.started["a"].wait(WAIT)
    rec.release("a")
    pool.shutdown(wait=True, cancel_pending=True)
    assert a.result(0) == "a"
    assert b.cancelled()
    assert "start b" not in rec.events


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (
            {"key": "k", "if_running": "twice"},
            r"if_running must be one of 'join', 'drop', 'restart', 'enqueue', "
            r"'keep_latest', got 'twice'",
        ),
        ({"if_running": "drop"}, r"if_running='drop' needs key=: the policy applies per key"),
        (
            {"key": "k", "ttl": 1.0, "if_running": "restart"},
            r"ttl=1.0 applies to if_running='join' or 'drop' only, got if_running='restart'",
        ),
    ],
)
def test_bad_if_running_fails_at_the_call_site(
    pool: ud.Pool, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        pool.submit(lambda: None, **options)
    assert pool.stats().submitted == 0
