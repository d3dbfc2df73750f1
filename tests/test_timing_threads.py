"""throttle/debounce called from worker threads: marshalled in order, run on the main thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import uidispatch as ud

Dispatcher = ud.Dispatcher


def advance(d: Dispatcher, seconds: float) -> None:
    d.backend.advance(seconds)  # type: ignore[attr-defined]


def in_worker(fn: Callable[[], object]) -> None:
    """Run ``fn`` in a worker thread and wait for it (it only posts, never waits on us)."""
    failures: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            failures.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join(5)
    assert not t.is_alive(), "worker did not finish"
    assert not failures, failures


def pump(d: Dispatcher) -> None:
    """Run everything workers queued so far: a marker posted now runs after it (FIFO)."""
    ran: list[bool] = []
    d.call_soon(ran.append, True)
    assert d.run_until(lambda: ran, 5), "the main loop did not drain"


def test_throttle_from_a_worker_runs_on_the_main_thread_with_leading_and_latest_args(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    seen: list[tuple[int, int]] = []
    main = threading.get_ident()

    @ud.throttle(1.0, dispatcher=d)
    def progress(i: int) -> None:
        seen.append((i, threading.get_ident()))

    in_worker(lambda: [progress(i) for i in range(100)])
    assert seen == []  # nothing ran in the worker
    pump(d)
    assert seen == [(0, main)]
    assert progress.pending
    advance(d, 1.0)
    assert seen == [(0, main), (99, main)]


def test_debounce_from_a_worker_runs_once_on_the_main_thread_after_the_quiet_period(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    seen: list[tuple[float, str, int]] = []

    @ud.debounce(1.0, dispatcher=d)
    def search(text: str) -> None:
        seen.append((d.backend.now(), text, threading.get_ident()))  # type: ignore[attr-defined]

    in_worker(lambda: [search(t) for t in ("a", "ab", "abc")])
    pump(d)
    assert search.pending
    advance(d, 0.75)
    assert seen == []
    advance(d, 0.25)
    assert seen == [(1.0, "abc", threading.get_ident())]


def test_cancel_from_a_worker_applies_after_that_workers_earlier_calls(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    seen: list[int] = []
    f = ud.debounce(1.0, dispatcher=d)(seen.append)

    def work() -> None:
        f(1)
        f.cancel()
        f(2)

    in_worker(work)
    pump(d)
    advance(d, 1.0)
    assert seen == [2]


def test_flush_from_a_worker_runs_the_pending_call_on_the_main_thread(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    seen: list[tuple[str, int]] = []

    @ud.debounce(10.0, dispatcher=d)
    def save(doc: str) -> None:
        seen.append((doc, threading.get_ident()))

    def work() -> None:
        save("draft")
        save.flush()

    in_worker(work)
    assert seen == []
    pump(d)
    assert seen == [("draft", threading.get_ident())]
    assert not save.pending


def test_calls_from_many_workers_all_reach_one_state(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    seen: list[Any] = []
    f = ud.throttle(1.0, leading=False, dispatcher=d)(seen.append)
    threads = [threading.Thread(target=lambda n=n: f(n)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads)
    pump(d)
    advance(d, 1.0)
    assert len(seen) == 1  # eight callers, one trailing call
    assert seen[0] in range(8)


def test_a_worker_call_after_close_raises_dispatcher_closed(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    f = ud.throttle(1.0, dispatcher=d)(lambda x: None)
    d.close()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            f(1)
        except ud.DispatcherClosed as exc:
            errors.append(exc)

    in_worker(work)
    assert len(errors) == 1
