"""debounce on virtual time: quiet period, max_wait under a stream, cancel/flush/pending."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import uidispatch as ud

Dispatcher = ud.Dispatcher


class Recorder:
    def __init__(self, d: Dispatcher) -> None:
        self.d = d
        self.calls: list[tuple[float, Any]] = []

    def __call__(self, value: Any = None) -> None:
        self.calls.append((self.d.backend.now(), value))  # type: ignore[attr-defined]

    @property
    def times(self) -> list[float]:
        return [t for t, _ in self.calls]


def advance(d: Dispatcher, seconds: float) -> None:
    d.backend.advance(seconds)  # type: ignore[attr-defined]


@pytest.fixture
def rec(virtual_dispatcher: Dispatcher) -> Recorder:
    return Recorder(virtual_dispatcher)


def test_runs_once_with_the_latest_args_after_calls_stop_for_wait(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    search = ud.debounce(0.5, dispatcher=d)(rec)
    for text in ["h", "he", "hel", "hell", "hello"]:
        search(text)
        advance(d, 0.25)  # typing faster than the quiet period
    assert rec.calls == []
    assert search.pending
    advance(d, 0.25)  # 0.5 after the last keystroke (at 1.0)
    assert rec.calls == [(1.5, "hello")]
    assert not search.pending
    advance(d, 5.0)
    assert len(rec.calls) == 1


def test_each_call_restarts_the_quiet_period(virtual_dispatcher: Dispatcher, rec: Recorder) -> None:
    d = virtual_dispatcher
    f = ud.debounce(1.0, dispatcher=d)(rec)
    f(1)
    advance(d, 0.75)
    f(2)
    advance(d, 0.75)  # 1.5: the first deadline passed, but a call came since
    assert rec.calls == []
    advance(d, 0.25)
    assert rec.calls == [(1.75, 2)]


def test_separate_bursts_each_run_once(virtual_dispatcher: Dispatcher, rec: Recorder) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, dispatcher=d)(rec)
    f("a")
    f("b")
    advance(d, 1.0)
    f("c")
    advance(d, 1.0)
    assert rec.calls == [(0.5, "b"), (1.5, "c")]


def test_zero_wait_runs_on_the_next_timer_turn(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0, dispatcher=d)(rec)
    f(1)
    f(2)
    assert rec.calls == []
    advance(d, 0)
    assert rec.calls == [(0.0, 2)]


def test_without_max_wait_a_continuous_stream_never_runs(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, dispatcher=d)(rec)
    for i in range(40):
        f(i)
        advance(d, 0.25)
    assert rec.calls == []
    advance(d, 0.25)
    assert rec.calls == [(10.25, 39)]  # 0.5 after the last call, at 9.75


def test_max_wait_guarantees_a_call_at_least_that_often_under_a_stream(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, max_wait=2.0, dispatcher=d)(rec)
    for i in range(40):  # a call every 0.25 s for 10 s, never a 0.5 s pause
        f(i)
        advance(d, 0.25)
    advance(d, 1.0)
    # Each burst's call lands max_wait after the burst's first call, with the latest value;
    # the call made at the same instant starts the next burst.
    assert rec.calls == [(2.0, 7), (4.0, 15), (6.0, 23), (8.0, 31), (10.0, 39)]


def test_max_wait_equal_to_wait_is_allowed(virtual_dispatcher: Dispatcher, rec: Recorder) -> None:
    d = virtual_dispatcher
    f = ud.debounce(1.0, max_wait=1.0, dispatcher=d)(rec)
    f(1)
    advance(d, 0.5)
    f(2)
    advance(d, 0.5)
    assert rec.calls == [(1.0, 2)]


def test_max_wait_does_not_fire_early_when_calls_stop(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, max_wait=10.0, dispatcher=d)(rec)
    f(1)
    advance(d, 0.5)
    assert rec.calls == [(0.5, 1)]


def test_cancel_drops_the_pending_call(virtual_dispatcher: Dispatcher, rec: Recorder) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, dispatcher=d)(rec)
    f(1)
    f.cancel()
    assert not f.pending
    advance(d, 5.0)
    assert rec.calls == []
    f(2)  # usable again after cancel
    advance(d, 0.5)
    assert rec.calls == [(5.5, 2)]


def test_flush_runs_the_pending_call_now_once(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, dispatcher=d)(rec)
    f(1)
    advance(d, 0.25)
    f(2)
    f.flush()
    assert rec.calls == [(0.25, 2)]
    assert not f.pending
    advance(d, 5.0)
    assert rec.calls == [(0.25, 2)]
    f.flush()  # nothing pending: no-op
    assert len(rec.calls) == 1


def test_error_goes_to_the_handler_and_the_next_burst_still_runs(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    seen: list[int] = []

    @ud.debounce(0.5, dispatcher=d)
    def save(n: int) -> None:
        seen.append(n)
        if n == 1:
            raise OSError("disk full")

    save(1)
    advance(d, 0.5)
    [err] = d.error_handler.take()  # type: ignore[attr-defined]
    assert isinstance(err, OSError)
    save(2)
    advance(d, 0.5)
    assert seen == [1, 2]


def test_dispatcher_debounce_is_the_same_decorator(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = d.debounce(0.5, max_wait=1.0)(rec)
    for i in range(8):
        f(i)
        advance(d, 0.25)
    assert rec.calls[0] == (1.0, 3)
    assert "max_wait=1.0" in repr(f)


# ------------------------------------------------------------------ leading=True


def test_leading_runs_the_first_call_at_once_then_nothing_until_the_calls_pause(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, leading=True, dispatcher=d)(rec)
    f("click")
    assert rec.calls == [(0.0, "click")]
    assert not f.pending
    advance(d, 5.0)  # no call came after it: nothing more runs
    assert rec.calls == [(0.0, "click")]


def test_leading_runs_the_latest_later_call_once_the_calls_pause(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, leading=True, dispatcher=d)(rec)
    for text in ["h", "he", "hel"]:
        f(text)
        advance(d, 0.25)
    assert rec.calls == [(0.0, "h")]
    assert f.pending
    advance(d, 0.25)  # 0.5 after the last call (at 0.5)
    assert rec.calls == [(0.0, "h"), (1.0, "hel")]
    assert f.dropped == 1  # "he": replaced by "hel"


def test_leading_each_run_starts_a_quiet_period_so_the_next_call_waits(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    # As psygnal's debounced(leading=True) and superqt's qdebounced: runs stay at least
    # wait apart, so a call just after the trailing run is not a new leading edge.
    d = virtual_dispatcher
    f = ud.debounce(0.5, leading=True, dispatcher=d)(rec)
    f(1)
    f(2)
    advance(d, 0.5)
    assert rec.calls == [(0.0, 1), (0.5, 2)]
    advance(d, 0.25)
    f(3)  # 0.25 after the run: waits for a quiet period
    assert rec.calls == [(0.0, 1), (0.5, 2)]
    advance(d, 0.5)
    assert rec.calls == [(0.0, 1), (0.5, 2), (1.25, 3)]


def test_leading_after_a_pause_the_next_call_runs_at_once_again(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, leading=True, dispatcher=d)(rec)
    f(1)
    advance(d, 0.5)
    f(2)
    advance(d, 0.75)
    f(3)
    assert rec.calls == [(0.0, 1), (0.5, 2), (1.25, 3)]


def test_leading_with_max_wait_runs_at_least_every_max_wait_under_a_stream(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, max_wait=2.0, leading=True, dispatcher=d)(rec)
    for i in range(40):  # a call every 0.25 s for 10 s, never a 0.5 s pause
        f(i)
        advance(d, 0.25)
    advance(d, 1.0)
    # The first call at once, then the latest every max_wait after the previous run.
    assert rec.calls == [(0.0, 0), (2.0, 7), (4.0, 15), (6.0, 23), (8.0, 31), (10.0, 39)]


def test_leading_flush_runs_the_pending_call_and_cancel_starts_afresh(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, leading=True, dispatcher=d)(rec)
    f(1)
    f(2)
    f.flush()  # runs 2 now, and starts a quiet period from it
    f(3)
    assert rec.calls == [(0.0, 1), (0.0, 2)]
    assert f.pending
    f.cancel()  # drops 3 and the quiet period: the next call is a leading edge
    f(4)
    assert rec.calls == [(0.0, 1), (0.0, 2), (0.0, 4)]
    assert f.dropped == 1


def test_leading_from_a_worker_runs_once_the_main_thread_has_the_call(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.debounce(0.5, leading=True, dispatcher=d)(rec)

    def calls() -> None:
        f(1)
        f(2)

    worker = threading.Thread(target=calls)
    worker.start()
    worker.join(5)
    assert rec.calls == []
    assert d.run_until(lambda: rec.calls == [(0.0, 1)], 5)
    advance(d, 0.5)
    assert rec.calls == [(0.0, 1), (0.5, 2)]


def test_dispatcher_debounce_takes_leading(virtual_dispatcher: Dispatcher, rec: Recorder) -> None:
    f = virtual_dispatcher.debounce(0.5, leading=True)(rec)
    f(1)
    assert rec.calls == [(0.0, 1)]
    assert "leading=True" in repr(f)
    assert "leading=False" in repr(virtual_dispatcher.debounce(0.5)(rec))


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("wait", [-1, float("nan"), float("inf")])
def test_bad_wait_raises_naming_it(wait: float) -> None:
    with pytest.raises(ValueError, match=rf"wait must be .*>= 0, got {wait!r}"):
        ud.debounce(wait)


@pytest.mark.parametrize("wait", [False, "1", None])
def test_non_number_wait_raises_type_error_naming_it(wait: Any) -> None:
    with pytest.raises(TypeError, match=rf"wait must be a number of seconds, got {wait!r}"):
        ud.debounce(wait)


@pytest.mark.parametrize("max_wait", [-1, float("inf")])
def test_bad_max_wait_raises_naming_it(max_wait: float) -> None:
    with pytest.raises(ValueError, match=rf"max_wait must be .*>= 0, got {max_wait!r}"):
        ud.debounce(0.5, max_wait=max_wait)


def test_non_number_max_wait_raises_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match=r"max_wait must be a number of seconds, got True"):
        ud.debounce(0.5, max_wait=True)


def test_max_wait_below_wait_raises_naming_both() -> None:
    with pytest.raises(ValueError, match=r"max_wait must be >= wait \(0\.5\), got max_wait=0\.25"):
        ud.debounce(0.5, max_wait=0.25)


def test_bare_debounce_without_parentheses_explains_the_fix() -> None:
    def search() -> None:
        pass

    with pytest.raises(TypeError, match=r"wait must be a number of seconds.*\(0\.1\)"):
        ud.debounce(search)  # type: ignore[arg-type]


@pytest.mark.parametrize("leading", [1, "yes", None])
def test_non_bool_leading_raises_type_error_naming_it(
    virtual_dispatcher: Dispatcher, leading: Any
) -> None:
    with pytest.raises(TypeError, match=rf"leading must be True or False, got {leading!r}"):
        ud.debounce(0.5, leading=leading)
    with pytest.raises(TypeError, match=rf"leading must be True or False, got {leading!r}"):
        virtual_dispatcher.debounce(0.5, leading=leading)
