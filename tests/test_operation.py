"""Operations: the policies defined once, calls from any event, the state widgets bind to."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import uidispatch as ud
from uidispatch._work._operation_policy import FIXED

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    p._sched.clock = virtual_dispatcher.backend.now  # type: ignore[attr-defined]
    yield p
    p.shutdown(wait=True, cancel_pending=True, cancel_running=True, timeout=WAIT)


class Gates:
    """Work that records its start and waits, cancellable, until its name is released."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[str] = []
        self.gates: dict[str, threading.Event] = {}
        self.started: dict[str, threading.Event] = {}

    def _get(self, table: dict[str, threading.Event], name: str) -> threading.Event:
        with self.lock:
            return table.setdefault(name, threading.Event())

    def work(self, name: str) -> str:
        with self.lock:
            self.events.append(f"start {name}")
        self._get(self.started, name).set()
        gate = self._get(self.gates, name)
        while not gate.wait(0.01):
            ud.check_cancelled()
        with self.lock:
            self.events.append(f"end {name}")
        return name

    def wait_started(self, name: str) -> None:
        assert self._get(self.started, name).wait(WAIT), name

    def release(self, *names: str) -> None:
        for name in names:
            self._get(self.gates, name).set()


def settle(d: ud.Dispatcher, *tasks: ud.Task[Any]) -> None:
    for task in tasks:
        task.wait_stopped(WAIT)
    assert d.run_until(lambda: all(t.done() for t in tasks), WAIT)
    d.run_until(lambda: False, 0.05)  # let every callback posted so far run


# ---------------------------------------------------------------------- the policy, once


def test_restart_applies_across_calls_from_two_event_handlers(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gates = Gates()
    shown: list[str] = []
    errors: list[BaseException] = []

    @pool.operation(if_running="restart")
    def search(text: str) -> str:
        return gates.work(text)

    def on_text_changed(text: str) -> ud.Task[str]:  # one handler...
        return search.submit(text, on_done=shown.append, on_error=errors.append)

    def on_enter_pressed(text: str) -> ud.Task[str]:  # ... and another, same policy
        return search.submit(text, on_done=shown.append)

    first = on_text_changed("ap")
    gates.wait_started("ap")
    second = on_enter_pressed("apple")
    assert first.cancelled()
    assert second is not first
    gates.release("apple")
    settle(virtual_dispatcher, first, second)
    assert shown == ["apple"]
    assert [type(e) for e in errors] == [ud.TaskCancelled]
    assert "end ap" not in gates.events
    assert (
        second.name == "test_restart_applies_across_calls_from_two_event_handlers.<locals>.search"
    )


def test_key_narrows_the_scope_to_one_row(pool: ud.Pool, virtual_dispatcher: ud.Dispatcher) -> None:
    gates = Gates()

    @pool.operation(if_running="restart", key=lambda row: row.split("/")[0])
    def refresh(row: str) -> str:
        return gates.work(row)

    a1 = refresh.submit("a/1")
    b1 = refresh.submit("b/1")
    gates.wait_started("a/1")
    a2 = refresh.submit("a/2")  # restarts row a only
    assert a1.cancelled()
    assert not b1.done()
    assert a2.key == (refresh._scope.link, "a")
    gates.release("b/1", "a/2")
    assert (b1.result(WAIT), a2.result(WAIT)) == ("b/1", "a/2")
    settle(virtual_dispatcher, a1, b1, a2)


def test_two_operations_with_the_same_key_values_never_collide(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gates = Gates()

    @pool.operation(if_running="drop", key=lambda n: n)
    def load(n: str) -> str:
        return gates.work(f"load {n}")

    @pool.operation(if_running="drop", key=lambda n: n)
    def save(n: str) -> str:
        return gates.work(f"save {n}")

    loading, saving = load.submit("1"), save.submit("1")
    plain = pool.submit(gates.work, "plain 1", key="1", if_running="drop")
    assert len({loading.id, saving.id, plain.id}) == 3
    assert load.submit("1") is loading  # the same operation and key: dropped
    gates.release("load 1", "save 1", "plain 1")
    settle(virtual_dispatcher, loading, saving, plain)
    assert pool.stats().dropped == 1


def test_without_if_running_every_call_runs_and_with_key_alone_a_call_joins(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gates = Gates()

    @pool.operation()
    def convert(path: str) -> str:
        return gates.work(path)

    @pool.operation(key=lambda path: path)
    def thumbnail(path: str) -> str:
        return gates.work(f"thumb {path}")

    a, b = convert.submit("a"), convert.submit("b")
    assert a is not b
    t1 = thumbnail.submit("a")
    assert thumbnail.submit("a") is t1  # "join", as Pool.submit with key=
    assert thumbnail.count == 2
    gates.release("a", "b", "thumb a")
    settle(virtual_dispatcher, a, b, t1)


def test_retries_and_ttl_are_fixed_once(pool: ud.Pool, virtual_dispatcher: ud.Dispatcher) -> None:
    attempts: list[int] = []

    @pool.operation(retries=2, backoff=0.0, retry_on=OSError)
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise OSError("network")
        return "ok"

    assert flaky.submit().result(WAIT) == "ok"
    assert len(attempts) == 3

    @pool.operation(key=lambda n: n, ttl=60.0)
    def cached(n: int) -> int:
        return n * 2

    first = cached.submit(2)
    assert first.result(WAIT) == 4
    assert cached.submit(2) is first  # its result is kept for the ttl
    assert cached.submit(3) is not first
    settle(virtual_dispatcher, first)


@pytest.mark.parametrize("option", FIXED)
def test_passing_a_fixed_policy_to_submit_raises_type_error_naming_it(
    pool: ud.Pool, option: str
) -> None:
    @pool.operation(if_running="restart")
    def search(text: str) -> str:
        return text

    with pytest.raises(
        TypeError, match=rf"search\.submit\(\) got {option}=None, but {option}= is fix"
    ):
        search.submit("x", **{option: None})
    assert search.count == 0
    assert search.last is None


def test_an_unknown_keyword_is_refused_and_never_forwarded(pool: ud.Pool) -> None:
    @pool.operation()
    def search(text: str) -> str:
        return text

    with pytest.raises(TypeError, match=r"unexpected keyword argument 'text'.*functools.partial"):
        search.submit(text="x")  # type: ignore[call-overload]


def test_bad_policies_fail_at_decoration_with_submits_messages(pool: ud.Pool) -> None:
    with pytest.raises(ValueError, match=r"if_running must be one of 'join'"):
        pool.operation(if_running="sometimes")(len)
    with pytest.raises(ValueError, match=r"retries must be an int >= 0, got -1"):
        pool.operation(retries=-1)(len)
    with pytest.raises(TypeError, match=r"key must be a function of the call's arguments"):
        pool.operation(key="row")(len)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"operation can only decorate a callable"):
        pool.operation()(42)  # type: ignore[arg-type]


def test_an_unhashable_key_value_names_the_operation(pool: ud.Pool) -> None:
    @pool.operation(key=lambda row: [row])  # type: ignore[arg-type, return-value]
    def refresh(row: int) -> int:
        return row

    with pytest.raises(
        TypeError,
        match=r"key= of operation '\S*refresh' must return a hashable value, got \[1\] "
        r"from <lambda> at test_operation\.py:\d+",
    ):
        refresh.submit(1)


def test_the_decorated_function_is_still_a_plain_call(pool: ud.Pool) -> None:
    @pool.operation(if_running="restart")
    def add(a: int, b: int = 1, *, scale: int = 1) -> int:
        assert threading.current_thread() is threading.main_thread()
        return (a + b) * scale

    assert add(1) == 2
    assert add(1, 2, scale=3) == 9
    assert add.__name__ == "add"
    assert add.count == 0  # a plain call is not a submit
    assert not pool.tasks()


def test_extra_positional_arguments_a_signal_passes_are_dropped(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    @pool.operation()
    def sync() -> str:
        return "synced"

    assert sync.submit(True).result(WAIT) == "synced"  # type: ignore[call-overload]  # clicked(checked)
    assert sync(True) == "synced"  # type: ignore[call-arg]


# ---------------------------------------------------------------------- derived state


def test_busy_and_on_busy_go_true_then_false_after_the_callbacks(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gates = Gates()
    order: list[str] = []

    @pool.operation(if_running="restart")
    def search(text: str) -> str:
        return gates.work(text)

    handle = search.on_busy(lambda busy: order.append(f"busy={busy}"))
    assert order == ["busy=False"]  # at once: on_busy was called on the main thread
    first = search.submit("a")
    busy = [search.busy]
    assert virtual_dispatcher.run_until(lambda: len(order) == 2, WAIT)
    second = search.submit("b", on_done=lambda r: order.append(f"{r} busy={search.busy}"))
    gates.release("b")
    settle(virtual_dispatcher, first, second)
    busy.append(search.busy)
    assert busy == [True, False]
    # The restart never reported idle in between; the callbacks ran while still busy.
    assert order == ["busy=False", "busy=True", "b busy=True", "busy=False"]
    handle.cancel()


def test_busy_counts_only_this_operations_tasks(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gates = Gates()
    seen: list[bool] = []

    @pool.operation()
    def save(doc: str) -> str:
        return gates.work(doc)

    @pool.operation()
    def load(doc: str) -> str:
        return gates.work(doc)

    save.on_busy(seen.append)
    other = pool.submit(gates.work, "other")
    loading = load.submit("load")
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert pool.busy()
    assert load.busy
    assert not save.busy
    assert seen == [False]
    saving = save.submit("save")
    assert virtual_dispatcher.run_until(lambda: seen == [False, True], WAIT)
    gates.release("save")
    settle(virtual_dispatcher, saving)
    assert seen == [False, True, False]
    assert pool.busy()  # the others still run
    gates.release("other", "load")
    settle(virtual_dispatcher, other, loading)


def test_a_refusal_by_an_open_breaker_is_busy_until_its_on_error_ran(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    breaker = ud.CircuitBreaker(max_failures=1, reset_after=60.0)
    errors: list[BaseException] = []

    @pool.operation(breaker=breaker)
    def sync() -> None:
        raise OSError("down")

    first = sync.submit(on_error=errors.append)
    settle(virtual_dispatcher, first)
    refused = sync.submit(on_error=lambda e: errors.append(e) if sync.busy else None)
    busy = [refused.done(), sync.busy]
    settle(virtual_dispatcher, refused)
    busy.append(sync.busy)
    assert busy == [True, True, False]
    assert [type(e) for e in errors] == [OSError, ud.CircuitOpen]


def test_last_last_succeeded_and_count(pool: ud.Pool, virtual_dispatcher: ud.Dispatcher) -> None:
    @pool.operation()
    def divide(n: int) -> float:
        return 1 / n

    assert (divide.last, divide.last_succeeded, divide.count) == (None, None, 0)
    ok = divide.submit(2)
    assert divide.last is ok
    ok.result(WAIT)
    assert divide.last_succeeded is ok
    failed = divide.submit(0, on_error=lambda e: None)
    settle(virtual_dispatcher, ok, failed)
    assert divide.last is failed
    assert divide.last_succeeded is ok  # a failure does not replace it
    assert divide.count == 2
    stats = divide.stats
    assert (stats.submitted, stats.succeeded, stats.failed) == (2, 1, 1)
    assert stats.name == divide.__qualname__


def test_stats_before_the_first_call_are_zero(pool: ud.Pool) -> None:
    @pool.operation(name="export")
    def export() -> None:
        pass

    stats = export.stats
    assert (stats.name, stats.submitted, stats.running, stats.last_error) == ("export", 0, 0, None)


def test_cancel_all_cancels_this_operations_pending_and_running_tasks_only(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    gates = Gates()

    @pool.operation(if_running="enqueue")
    def save(doc: str) -> str:
        return gates.work(doc)

    running, waiting = save.submit("a"), save.submit("b")
    other = pool.submit(gates.work, "other")
    gates.wait_started("a")
    save.cancel_all()
    assert running.cancelled()
    assert waiting.cancelled()
    assert not other.done()
    gates.release("other")
    settle(virtual_dispatcher, running, waiting, other)
    assert "start b" not in gates.events
    save.cancel_all()  # nothing left: a no-op


def test_report_shows_operations_under_their_name(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    @pool.operation(name="fetch forecast")
    def fetch(city: str) -> str:
        return city

    fetch.submit("Oslo").result(WAIT)
    assert "fetch forecast" in pool.report()
    assert pool.stats().operations["fetch forecast"].succeeded == 1


def test_ud_operation_uses_the_default_pool_and_outlives_its_shutdown() -> None:
    from uidispatch._work._default import default_pool

    @ud.operation(if_running="drop")
    def ping() -> str:
        return "pong"

    assert ping.submit().result(WAIT) == "pong"
    first = default_pool()
    assert ud.shutdown(WAIT)
    assert ping.submit().result(WAIT) == "pong"  # on a fresh default pool
    assert default_pool() is not first
    assert ping.count == 2
    assert ud.shutdown(WAIT)
