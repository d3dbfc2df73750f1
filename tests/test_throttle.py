"""throttle on virtual time: each edge combination, latest arguments, cancel/flush/pending."""

from __future__ import annotations

import functools
from typing import Any

import pytest

import uidispatch as ud

Dispatcher = ud.Dispatcher


class Recorder:
    """Records (virtual time, args, kwargs) of each call."""

    def __init__(self, d: Dispatcher) -> None:
        self.d = d
        self.calls: list[tuple[float, tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((self.d.backend.now(), args, kwargs))  # type: ignore[attr-defined]

    @property
    def args(self) -> list[Any]:
        return [a[0] if len(a) == 1 else a for _, a, _ in self.calls]

    @property
    def times(self) -> list[float]:
        return [t for t, _, _ in self.calls]


def advance(d: Dispatcher, seconds: float) -> None:
    d.backend.advance(seconds)  # type: ignore[attr-defined]


@pytest.fixture
def rec(virtual_dispatcher: Dispatcher) -> Recorder:
    return Recorder(virtual_dispatcher)


# ------------------------------------------------------------------ edges


def test_leading_and_trailing_run_first_call_now_and_latest_args_at_window_end(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, dispatcher=d)(rec)
    for i in range(5):
        f(i)
    assert rec.calls == [(0.0, (0,), {})]
    assert f.pending
    advance(d, 0.5)
    f(5)
    advance(d, 0.25)
    assert rec.args == [0]
    advance(d, 0.25)  # the window ends at 1.0
    assert rec.calls == [(0.0, (0,), {}), (1.0, (5,), {})]
    assert not f.pending


def test_leading_only_runs_first_call_and_drops_the_rest_of_the_window(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, trailing=False, dispatcher=d)(rec)
    f("a")
    f("b")
    assert not f.pending  # nothing will run for "b"
    advance(d, 2.0)
    assert rec.calls == [(0.0, ("a",), {})]
    f("c")  # a new window: leading again
    assert rec.calls[-1] == (2.0, ("c",), {})


def test_leading_only_window_starts_at_the_leading_call(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, trailing=False, dispatcher=d)(rec)
    f(0)
    advance(d, 0.75)
    f(1)  # inside the window: dropped
    advance(d, 0.25)
    f(2)  # at 1.0 the window has closed
    assert rec.args == [0, 2]
    assert rec.times == [0.0, 1.0]


def test_trailing_only_waits_the_interval_and_uses_the_latest_args(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(0.5, leading=False, dispatcher=d)(rec)
    f(1)
    assert rec.calls == []
    assert f.pending
    advance(d, 0.25)
    f(2)
    f(3)
    advance(d, 0.25)
    assert rec.calls == [(0.5, (3,), {})]
    assert not f.pending


def test_trailing_only_single_call_runs_once_after_interval(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(0.5, leading=False, dispatcher=d)(rec)
    f("x")
    advance(d, 0.5)
    advance(d, 5.0)
    assert rec.calls == [(0.5, ("x",), {})]


def test_leading_and_trailing_single_call_runs_once(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(0.5, dispatcher=d)(rec)
    f("x")
    advance(d, 5.0)
    assert rec.calls == [(0.0, ("x",), {})]


@pytest.mark.parametrize(
    ("leading", "trailing"), [(True, True), (True, False), (False, True)], ids=str
)
def test_a_continuous_stream_runs_at_most_once_per_interval(
    virtual_dispatcher: Dispatcher, rec: Recorder, leading: bool, trailing: bool
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(0.5, leading=leading, trailing=trailing, dispatcher=d)(rec)
    for i in range(80):  # 10 s of calls every 0.125 s
        f(i)
        advance(d, 0.125)
    advance(d, 2.0)
    gaps = [b - a for a, b in zip(rec.times, rec.times[1:], strict=False)]
    assert all(g >= 0.5 for g in gaps), gaps
    # About one call per interval over 10 s, never a flood nor a starvation.
    assert 18 <= len(rec.calls) <= 21
    if trailing:
        assert rec.args[-1] == 79  # the stream's last value always lands


def test_trailing_call_opens_a_new_window_so_calls_stay_apart(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, dispatcher=d)(rec)
    f(0)
    f(1)
    advance(d, 1.0)  # trailing 1 at 1.0
    advance(d, 0.25)
    f(2)  # 0.25 after the trailing call: waits for the window, not leading
    assert rec.args == [0, 1]
    advance(d, 0.75)
    assert rec.calls[-1] == (2.0, (2,), {})


def test_keyword_arguments_of_the_function_are_forwarded(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, dispatcher=d)(rec)
    f(1, key="k", timeout=2)  # the function's own, never taken for options
    f(2, text="latest")
    advance(d, 1.0)
    assert [(a, k) for _, a, k in rec.calls] == [
        ((1,), {"key": "k", "timeout": 2}),
        ((2,), {"text": "latest"}),
    ]


def test_zero_interval_runs_trailing_on_the_next_timer_turn(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(0, dispatcher=d)(rec)
    f(1)
    f(2)
    f(3)
    advance(d, 0)
    assert rec.args == [1, 3]


# ------------------------------------------------------------------ cancel / flush / pending


def test_cancel_drops_the_pending_call_and_resets_the_window(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, dispatcher=d)(rec)
    f(0)
    f(1)
    f.cancel()
    assert not f.pending
    advance(d, 0.25)
    f(2)  # the window was reset: this is a leading call
    assert rec.calls == [(0.0, (0,), {}), (0.25, (2,), {})]
    advance(d, 5.0)
    assert rec.args == [0, 2]


def test_flush_runs_the_pending_call_now_and_keeps_the_rate(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, dispatcher=d)(rec)
    f(0)
    advance(d, 0.25)
    f(1)
    f.flush()
    assert rec.calls == [(0.0, (0,), {}), (0.25, (1,), {})]
    assert not f.pending
    f(2)  # inside the window the flush opened
    advance(d, 0.75)
    assert rec.args == [0, 1]
    advance(d, 0.25)
    assert rec.calls[-1] == (1.25, (2,), {})


def test_flush_and_cancel_with_nothing_pending_do_nothing(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, dispatcher=d)(rec)
    f.flush()
    f.cancel()  # never called: no dispatcher needed yet
    f(0)
    f.flush()
    assert rec.args == [0]
    advance(d, 2.0)
    assert rec.args == [0]


# ------------------------------------------------------------------ errors, reentrancy, misc


def test_an_error_in_the_function_goes_to_the_handler_and_the_throttle_keeps_working(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    seen: list[int] = []

    @ud.throttle(1.0, dispatcher=d)
    def update(x: int) -> None:
        seen.append(x)
        raise LookupError(f"bad {x}")

    update(0)  # leading: raises on the main thread, inside our call
    update(1)
    advance(d, 1.0)  # trailing: raises inside the timer
    errors = d.error_handler.take()  # type: ignore[attr-defined]
    assert [str(e) for e in errors] == ["bad 0", "bad 1"]
    assert d.stats().errors == 2
    advance(d, 1.0)
    update(2)
    assert seen == [0, 1, 2]
    d.error_handler.take()  # type: ignore[attr-defined]


def test_a_call_from_inside_the_function_lands_in_the_window(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    seen: list[int] = []

    @ud.throttle(1.0, dispatcher=d)
    def refresh(depth: int) -> None:
        seen.append(depth)
        if depth < 3:
            refresh(depth + 1)

    refresh(0)
    assert seen == [0]
    advance(d, 1.0)
    advance(d, 1.0)
    advance(d, 1.0)
    assert seen == [0, 1, 2, 3]


def test_wrapped_function_metadata_and_signature_are_kept(virtual_dispatcher: Dispatcher) -> None:
    import inspect

    def refresh(widget: object, *, force: bool = False) -> None:
        """Redraw."""

    f = ud.throttle(0.5, dispatcher=virtual_dispatcher)(refresh)
    assert f.__name__ == "refresh"
    assert f.__doc__ == "Redraw."
    assert f.__wrapped__ is refresh
    assert str(inspect.signature(f)) == "(widget: 'object', *, force: 'bool' = False) -> 'None'"
    assert "interval=0.5" in repr(f)


def test_dispatcher_throttle_is_the_same_decorator(
    virtual_dispatcher: Dispatcher, rec: Recorder
) -> None:
    d = virtual_dispatcher
    f = d.throttle(1.0, leading=False)(rec)
    f(1)
    f(2)
    assert rec.calls == []
    advance(d, 1.0)
    assert rec.calls == [(1.0, (2,), {})]


def test_calling_on_a_closed_given_dispatcher_raises(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, dispatcher=d)(lambda: None)
    d.close()
    with pytest.raises(ud.DispatcherClosed, match="closed dispatcher"):
        f()


def test_close_drops_the_pending_call(virtual_dispatcher: Dispatcher, rec: Recorder) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, dispatcher=d)(rec)
    f(0)
    f(1)
    assert f.pending
    d.close()
    assert not f.pending
    advance(d, 2.0)
    f.flush()  # after close: a no-op, no error
    f.cancel()
    assert rec.args == [0]


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("interval", [-0.1, float("nan"), float("inf")])
def test_bad_interval_value_raises_naming_it(interval: float) -> None:
    with pytest.raises(ValueError, match=rf"interval must be .*>= 0, got {interval!r}"):
        ud.throttle(interval)


@pytest.mark.parametrize("interval", [True, "0.1", None])
def test_non_number_interval_raises_type_error_naming_it(interval: Any) -> None:
    with pytest.raises(TypeError, match=rf"interval must be a number of seconds, got {interval!r}"):
        ud.throttle(interval)


def test_bare_throttle_without_parentheses_explains_the_fix() -> None:
    def refresh() -> None:
        pass

    with pytest.raises(TypeError, match=r"interval must be .*@throttle\(0\.1\)"):
        ud.throttle(refresh)  # type: ignore[arg-type]


def test_both_edges_false_raises_naming_both() -> None:
    with pytest.raises(ValueError, match=r"leading=True or trailing=True.*never run"):
        ud.throttle(1.0, leading=False, trailing=False)


@pytest.mark.parametrize("flag", ["leading", "trailing"])
def test_non_bool_edge_flag_raises_naming_it(flag: str) -> None:
    with pytest.raises(TypeError, match=rf"{flag} must be True or False, got 'yes'"):
        ud.throttle(1.0, **{flag: "yes"})


def test_bad_dispatcher_raises_at_decoration() -> None:
    with pytest.raises(TypeError, match=r"dispatcher must be a uidispatch.Dispatcher or None"):
        ud.throttle(1.0, dispatcher="tk")  # type: ignore[arg-type]


def test_decorating_a_non_callable_raises() -> None:
    with pytest.raises(TypeError, match="throttle can only decorate a callable, got 42"):
        ud.throttle(1.0)(42)  # type: ignore[arg-type]


def test_partial_objects_can_be_throttled(virtual_dispatcher: Dispatcher, rec: Recorder) -> None:
    f = ud.throttle(1.0, dispatcher=virtual_dispatcher)(functools.partial(rec, "p"))
    f(1)
    assert rec.calls == [(0.0, ("p", 1), {})]
