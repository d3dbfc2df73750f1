"""throttle/debounce call_now() and dropped, on virtual time."""

from __future__ import annotations

import threading
from typing import Any

import uidispatch as ud

Dispatcher = ud.Dispatcher


def advance(d: Dispatcher, seconds: float) -> None:
    d.backend.advance(seconds)  # type: ignore[attr-defined]


def now(d: Dispatcher) -> float:
    return d.backend.now()  # type: ignore[attr-defined, no-any-return]


def test_call_now_bypasses_the_window_and_starts_a_new_one(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    calls: list[tuple[float, Any]] = []
    refresh = ud.throttle(5.0, dispatcher=d)(lambda x: calls.append((now(d), x)))
    refresh(1)  # leading edge at 0
    advance(d, 1.0)
    refresh(2)  # pending for the trailing edge at 5
    refresh.call_now(3)  # the button: at once, the pending 2 is superseded
    assert calls == [(0.0, 1), (1.0, 3)]
    assert not refresh.pending
    assert refresh.dropped == 1
    refresh(4)  # inside the new window (1..6): trailing at 6
    advance(d, 4.5)
    assert calls == [(0.0, 1), (1.0, 3)]
    advance(d, 0.5)
    assert calls == [(0.0, 1), (1.0, 3), (6.0, 4)]


def test_dropped_counts_every_call_merged_away(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    calls: list[int] = []
    f = ud.throttle(1.0, dispatcher=d)(calls.append)
    for i in range(10):
        f(i)  # 0 runs; 1..8 are replaced by the next; 9 runs on the trailing edge
    advance(d, 1.0)
    assert calls == [0, 9]
    assert f.dropped == 8
    f(10)  # inside the window the trailing call opened: pending
    f(11)  # replaces 10
    f.cancel()  # the pending 11 is dropped too
    assert f.dropped == 10
    no_trailing = ud.throttle(1.0, trailing=False, dispatcher=d)(calls.append)
    for i in range(3):
        no_trailing(i)
    assert no_trailing.dropped == 2  # no edge to run on


def test_debounce_counts_merged_calls_and_call_now_runs_at_once(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    calls: list[str] = []
    save = ud.debounce(0.5, dispatcher=d)(calls.append)
    save("a")
    save("b")
    save.call_now("c")
    assert calls == ["c"]
    assert save.dropped == 2
    advance(d, 1.0)
    assert calls == ["c"]


def test_call_now_on_a_leading_debounce_starts_a_quiet_period_as_a_run_does(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    calls: list[str] = []
    save = ud.debounce(0.5, leading=True, dispatcher=d)(calls.append)
    save.call_now("a")
    save("b")  # within the quiet period that call_now started: waits, as after any run
    assert calls == ["a"]
    advance(d, 0.5)
    assert calls == ["a", "b"]
    advance(d, 0.5)
    save("c")  # quiet for 0.5 s since the last run: a leading edge again
    assert calls == ["a", "b", "c"]


def test_call_now_from_a_worker_runs_on_the_main_thread(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    where: list[bool] = []
    f = ud.throttle(1.0, dispatcher=d)(lambda: where.append(d.is_main_thread()))
    t = threading.Thread(target=f.call_now)
    t.start()
    t.join(5.0)
    assert d.run_until(lambda: where, 5.0)
    assert where == [True]


class Panel:
    def __init__(self) -> None:
        self.shown: list[int] = []

    @ud.throttle(1.0)
    def refresh(self, x: int) -> None:
        self.shown.append(x)


def test_methods_count_per_instance_and_in_total(virtual_dispatcher: Dispatcher) -> None:
    ud.use(virtual_dispatcher)
    try:
        a, b = Panel(), Panel()
        for i in range(3):
            a.refresh(i)
        b.refresh(0)
        b.refresh.call_now(7)
        assert b.shown == [0, 7]
        assert (a.refresh.dropped, b.refresh.dropped, Panel.refresh.dropped) == (1, 0, 1)
    finally:
        ud.use(None)
