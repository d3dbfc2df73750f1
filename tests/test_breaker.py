"""CircuitBreaker: transitions on virtual time, refusals without running, on_change delivery."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

import uidispatch as ud

if TYPE_CHECKING:
    from conftest import ManualTimers

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


def _down() -> None:
    raise OSError("service down")


def _fail(pool: ud.Pool, br: ud.CircuitBreaker, **options: object) -> ud.Task[None]:
    task = pool.submit(_down, breaker=br, **options)  # type: ignore[arg-type]
    with pytest.raises(OSError, match="service down"):
        task.result(WAIT)
    return task


def _breaker(
    clock: ManualTimers, max_failures: int, window: float, reset_after: float
) -> ud.CircuitBreaker:
    br = ud.CircuitBreaker(max_failures, window, reset_after)
    clock.use_for(br)
    return br


def _states(d: ud.Dispatcher, br: ud.CircuitBreaker) -> list[str]:
    seen: list[str] = []
    br.on_change(seen.append, dispatcher=d)
    return seen


def test_failures_open_it_then_a_probe_after_reset_after_closes_it(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 2, 10.0, 5.0)
    seen = _states(virtual_dispatcher, br)
    assert br.state == "closed"
    _fail(pool, br)
    assert br.state == "closed"
    _fail(pool, br)
    assert br.state == "open"
    calls: list[int] = []
    refused = pool.submit(calls.append, 1, breaker=br)
    assert refused.state is ud.TaskState.FAILED  # at once, on return
    with pytest.raises(ud.CircuitOpen, match=r"was not run: .*CircuitBreaker open"):
        refused.result(0)
    assert calls == []
    manual_time.advance(4.999)
    assert br.state == "open"
    manual_time.advance(0.001)  # the breaker's own timer: no submission needed
    assert br.state == "half_open"
    probe = pool.submit(calls.append, 2, breaker=br)
    assert probe.result(WAIT) is None
    assert calls == [2]
    assert br.state == "closed"
    assert virtual_dispatcher.run_until(lambda: len(seen) == 3, WAIT)
    assert seen == ["open", "half_open", "closed"]
    assert br.opened == 1
    assert br.refused == 1


def test_a_failed_probe_opens_it_again_and_one_probe_runs_at_a_time(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 1, 10.0, 5.0)
    _fail(pool, br)
    assert br.state == "open"
    manual_time.advance(5.0)
    gate = threading.Event()
    probe = pool.submit(gate.wait, WAIT, breaker=br)
    assert br.state == "half_open"
    second = pool.submit(abs, 1, breaker=br)  # the probe still runs
    with pytest.raises(ud.CircuitOpen):
        second.result(0)
    gate.set()
    assert probe.result(WAIT) is True
    assert br.state == "closed"
    _fail(pool, br)
    manual_time.advance(5.0)
    _fail(pool, br)  # this probe fails
    assert br.state == "open"
    manual_time.advance(4.0)
    assert br.state == "open"  # reset_after counts again from the failed probe
    manual_time.advance(1.0)
    assert br.state == "half_open"


def test_failures_spread_wider_than_the_window_never_open_it(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 2, 10.0, 5.0)
    for _ in range(4):
        _fail(pool, br)
        manual_time.advance(10.0)
    assert br.state == "closed"


def test_a_task_counts_once_after_its_retries_and_cancellation_never_counts(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 2, 60.0, 5.0)
    _fail(pool, br, retries=3, backoff=0)
    assert br.state == "closed"
    gate = threading.Event()
    for _ in range(3):
        t = pool.submit(gate.wait, WAIT, breaker=br)
        t.cancel()
    gate.set()
    assert br.state == "closed"
    _fail(pool, br)
    assert br.state == "open"


def test_a_cancelled_probe_lets_the_next_submission_probe(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 1, 60.0, 1.0)
    _fail(pool, br)
    manual_time.advance(1.0)
    gate = threading.Event()
    probe = pool.submit(gate.wait, WAIT, breaker=br)
    probe.cancel()
    gate.set()
    assert br.state == "half_open"
    assert pool.submit(abs, -4, breaker=br).result(WAIT) == 4
    assert br.state == "closed"


def test_refusals_are_counted_as_failed_tasks_of_their_operation(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 1, 60.0, 30.0)
    _fail(pool, br)
    errors: list[BaseException] = []
    pool.submit(_down, breaker=br, on_error=errors.append)
    assert virtual_dispatcher.run_until(lambda: errors, WAIT)
    assert isinstance(errors[0], ud.CircuitOpen)
    assert isinstance(errors[0], ud.UIDispatchError)
    stats = pool.stats()
    assert stats.submitted == 2
    assert stats.failed == 2
    op = stats.operations["_down"]
    assert (op.submitted, op.failed, op.running) == (2, 2, 0)
    assert op.last_error is not None
    assert op.last_error.startswith("CircuitOpen: ")


def test_one_breaker_guards_a_service_across_pools(
    virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers
) -> None:
    a = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    b = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    br = _breaker(manual_time, 2, 60.0, 30.0)
    _fail(a, br)
    _fail(b, br)
    with pytest.raises(ud.CircuitOpen):
        a.submit(abs, 1, breaker=br).result(0)
    with pytest.raises(ud.CircuitOpen):
        b.submit(abs, 1, breaker=br).result(0)
    a.shutdown()
    b.shutdown()


def test_reset_closes_it_now(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 1, 60.0, 30.0)
    seen = _states(virtual_dispatcher, br)
    _fail(pool, br)
    br.reset()
    assert br.state == "closed"
    assert manual_time.due_times() == []  # the reset_after timer went with it
    assert virtual_dispatcher.run_until(lambda: len(seen) == 2, WAIT)
    assert seen == ["open", "closed"]


def test_on_change_runs_on_the_main_thread_and_stops_when_cancelled_or_owner_gone(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 1, 60.0, 1.0)
    threads: list[bool] = []
    handle = br.on_change(
        lambda s: threads.append(virtual_dispatcher.is_main_thread()), dispatcher=virtual_dispatcher
    )

    class Banner:
        pass

    banner = Banner()
    owned: list[str] = []
    br.on_change(owned.append, owner=banner, dispatcher=virtual_dispatcher)
    _fail(pool, br)  # opened on a worker thread
    assert virtual_dispatcher.run_until(lambda: threads and owned, WAIT)
    assert threads == [True]
    handle.cancel()
    del banner
    manual_time.advance(1.0)
    assert br.state == "half_open"
    virtual_dispatcher.run_until(lambda: False, 0.05)
    assert threads == [True]
    assert owned == ["open"]


def test_on_change_after_the_dispatcher_closed_is_dropped_quietly(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 1, 60.0, 1.0)
    seen = _states(virtual_dispatcher, br)
    virtual_dispatcher.close()
    _fail(pool, br)
    assert br.state == "open"
    assert seen == []


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"max_failures": 0}, ValueError, r"max_failures must be an int >= 1, got 0"),
        ({"window": 0}, ValueError, r"window must be a finite number of seconds > 0, got 0"),
        ({"window": -1.0}, ValueError, r"window must be a finite number of seconds > 0, got -1.0"),
        ({"reset_after": float("nan")}, ValueError, r"reset_after must be .* got nan"),
        ({"reset_after": "30"}, TypeError, r"reset_after must be a number of seconds, got '30'"),
    ],
)
def test_bad_breaker_arguments_fail_naming_them(
    kwargs: dict[str, object], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        ud.CircuitBreaker(**kwargs)  # type: ignore[arg-type]


def test_bad_breaker_uses_fail_at_the_call_site(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    br = ud.CircuitBreaker()
    with pytest.raises(TypeError, match=r"breaker must be a uidispatch.CircuitBreaker, got 'x'"):
        pool.submit(abs, 1, breaker="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"callback must be callable, got 3"):
        br.on_change(3, dispatcher=virtual_dispatcher)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"owner must support weak references, got int 5"):
        br.on_change(print, owner=5, dispatcher=virtual_dispatcher)
    assert repr(br) == (
        "<uidispatch.CircuitBreaker closed max_failures=5 window=60.0 reset_after=30.0>"
    )


def test_on_change_registered_before_the_app_exists_finds_it_at_the_first_change(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 1, 60.0, 30.0)
    seen: list[str] = []
    br.on_change(seen.append)  # no app yet: looked up when the state changes
    d = ud.get_dispatcher("virtual")
    ud.use(d)
    try:
        _fail(pool, br)
        assert d.run_until(lambda: seen, WAIT)
        assert seen == ["open"]
    finally:
        ud.use(None)
        d.close()


def test_a_change_with_no_app_anywhere_is_dropped_quietly(
    pool: ud.Pool, manual_time: ManualTimers
) -> None:
    br = _breaker(manual_time, 1, 60.0, 30.0)
    seen: list[str] = []
    br.on_change(seen.append)
    _fail(pool, br)
    assert br.state == "open"
    assert seen == []


class _Window:
    def __init__(self) -> None:
        self.states: list[str] = []

    def show(self, state: str) -> None:
        self.states.append(state)


def _failing() -> None:
    raise OSError("down")


def test_on_change_holds_a_bound_method_by_its_object_weakly(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    # An app whose window listens to its own breaker makes no window <-> breaker cycle.
    br = ud.CircuitBreaker(max_failures=1, reset_after=60)
    window = _Window()
    br.on_change(window.show, dispatcher=virtual_dispatcher)
    ref = weakref.ref(window)
    del window
    gc.collect()
    assert ref() is None
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    try:
        with pytest.raises(OSError, match="down"):
            pool.submit(_failing, breaker=br).result(5)
        assert br.state == "open"  # the change finds its listener gone, quietly
        virtual_dispatcher.run_until(lambda: False, 0.05)
    finally:
        pool.shutdown(cancel_pending=True)


def test_an_open_breakers_reset_timer_does_not_keep_it_alive(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    # Made inside an app function and open when the window closes: the timer thread must
    # not be what holds it (and its listeners' widgets) until reset_after has passed.
    br = ud.CircuitBreaker(max_failures=1, reset_after=60)
    br.on_change(lambda state: None, dispatcher=virtual_dispatcher)
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    try:
        with pytest.raises(OSError, match="down"):
            pool.submit(_failing, breaker=br).result(5)
        assert br.state == "open"
        ref = weakref.ref(br)
        del br
        virtual_dispatcher.run_until(lambda: False, 0.05)
        gc.collect()
        assert ref() is None
    finally:
        pool.shutdown(cancel_pending=True)
