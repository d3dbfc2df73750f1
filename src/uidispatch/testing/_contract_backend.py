"""The backend half of the conformance suite: the ``MainThreadDispatcher`` primitives."""

from __future__ import annotations

import collections
import functools
import threading
import time
from typing import Any, ClassVar

import pytest

import uidispatch as ud

from ._counting import CountingBackend, elapse, now, settle
from ._errors import ErrorCollector

__all__ = ["BackendChecks"]


class _Plain:
    """An object no backend knows: alive, weakly referenceable."""


def _start(target: Any, *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _all_on_main(threads_seen: set[int], what: str) -> None:
    from ._recording import thread_name

    main = threading.get_ident()
    for ident in threads_seen - {main}:
        raise AssertionError(
            f"{what} drained on thread {thread_name(ident)}, not the main thread "
            f"{thread_name(main)}: posted functions run on the main thread only"
        )


def _join(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive(), (
            f"{thread.name} did not finish within 10 s: a worker waited for the main thread "
            "(post() must never wait for the main thread)"
        )


class BackendChecks:
    """Tests of the backend's own primitives, driven through ``dispatcher.backend``."""

    timer_tolerance: ClassVar[float]
    idle_slack: ClassVar[float]
    patience: ClassVar[float]

    def test_post_from_many_threads_runs_each_once_on_the_main_thread(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """``post`` from 8 threads at once: every function runs exactly once, on the main thread."""
        backend = dispatcher.backend
        producers, per = 8, 250
        counts: collections.Counter[tuple[int, int]] = collections.Counter()
        threads_seen: set[int] = set()
        on_main: list[bool] = []

        def record(i: int, j: int) -> None:
            counts[i, j] += 1
            threads_seen.add(threading.get_ident())
            on_main.append(backend.is_main_thread())

        barrier = threading.Barrier(producers)

        def produce(i: int) -> None:
            barrier.wait()
            for j in range(per):
                backend.post(functools.partial(record, i, j))

        threads = [_start(produce, i) for i in range(producers)]
        settle(dispatcher, lambda: len(counts) == producers * per, what="every post to run")
        _join(*threads)
        elapse(dispatcher, 0.05)  # a post run twice would show up now
        assert sum(counts.values()) == producers * per, "some post ran more than once"
        _all_on_main(threads_seen, "posts")
        assert all(on_main), "is_main_thread() was False inside a posted function"

    def test_posts_run_in_the_order_they_were_posted(self, dispatcher: ud.Dispatcher) -> None:
        """Posts run in the order they were made, from a worker and from the main thread."""
        backend = dispatcher.backend
        out: list[int] = []

        def produce() -> None:
            for i in range(500):
                backend.post(functools.partial(out.append, i))

        _join(_start(produce))
        for i in range(500, 600):  # and from the main thread
            backend.post(functools.partial(out.append, i))
        settle(dispatcher, lambda: len(out) >= 600, what="600 posts")
        assert out == list(range(600))

    def test_post_from_a_worker_never_waits_for_the_main_thread(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """A worker's ``post`` returns while the main thread is busy: it never waits for it."""
        backend = dispatcher.backend
        out: list[int] = []
        done = threading.Event()

        def produce() -> None:
            for i in range(100):
                backend.post(functools.partial(out.append, i))
            done.set()

        thread = _start(produce)
        # The main thread does not pump until the worker is done: a post that waits for
        # the main thread (Tk's after() from a worker does) would never return.
        assert done.wait(self.patience), (
            "post() from a worker blocked until the main thread ran: post() must never wait "
            "for the main thread (it is called from workers the main thread may be joining)"
        )
        _join(thread)
        settle(dispatcher, lambda: len(out) == 100, what="100 posts")
        assert out == list(range(100))

    def test_post_from_a_running_callback_runs_on_a_later_turn(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """A post made by a running callback runs after that callback returns, never inside it."""
        backend = dispatcher.backend
        events: list[str] = []

        def first() -> None:
            events.append("first started")
            backend.post(lambda: events.append("second"))
            events.append("first returned")

        backend.post(first)
        settle(dispatcher, lambda: "second" in events, what="the re-post to run")
        assert events == ["first started", "first returned", "second"]

    def test_a_callback_reposting_itself_lets_timers_run(self, dispatcher: ud.Dispatcher) -> None:
        """A callback that keeps re-posting itself (a drain over budget) lets toolkit timers run."""
        # The drain re-posts itself when its budget is spent; the loop must still run its
        # timers (and paint) in between, or a flood would freeze the UI.
        backend = dispatcher.backend
        links = [0]
        fired: list[int] = []
        # Bounded in time: a drain that runs until the queue is empty would otherwise run
        # this chain forever inside one turn, and the check would hang instead of failing.
        stop = time.monotonic() + 2.0

        gave_up: list[bool] = []

        def link() -> None:
            links[0] += 1
            if fired:
                return
            if time.monotonic() < stop:
                backend.post(link)
            else:
                gave_up.append(True)

        backend.call_later(0.02, lambda: fired.append(links[0]))
        backend.post(link)
        try:
            settle(dispatcher, lambda: fired, what="a timer while callbacks re-post themselves")
        except Exception as exc:  # the toolkit gave out (SDL: "event queue is full")
            raise AssertionError(
                f"the loop failed after a callback re-posting itself ran {links[0]} times "
                f"with no timer run in between ({type(exc).__name__}: {exc}): a post made by "
                "a running callback must wait for a later turn of the loop (was the drain "
                "run until the queue was empty?)"
            ) from exc
        assert not gave_up, (
            f"a callback re-posting itself ran {links[0]} times before a 20 ms timer could "
            "run, until the chain gave up after 2 s: a post made by a running callback must "
            "wait for a later turn of the loop (the drain ran until the queue was empty)"
        )
        assert fired[0] >= 1

    def test_process_events_runs_a_post_made_before_it(self, dispatcher: ud.Dispatcher) -> None:
        """``process_events`` runs what a worker posted before it was called."""
        backend = dispatcher.backend
        out: list[str] = []
        _join(_start(backend.post, lambda: out.append("ran")))
        backend.process_events(1.0)
        assert out == ["ran"]

    def test_process_events_returns_within_its_timeout_when_idle(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """``process_events(timeout)`` on an idle loop returns after about ``timeout``."""
        backend = dispatcher.backend
        for timeout in (0.0, 0.05, 0.2):
            start = time.monotonic()
            backend.process_events(timeout)
            took = time.monotonic() - start
            assert took < timeout + self.idle_slack, f"process_events({timeout}) took {took:.3f} s"

    def test_call_later_fires_once_after_its_delay(self, dispatcher: ud.Dispatcher) -> None:
        """``call_later`` fires once, on the main thread, no earlier than its delay."""
        backend = dispatcher.backend
        delay = 0.05
        fired: list[float] = []
        on_main: list[bool] = []

        def fire() -> None:
            fired.append(now(backend))
            on_main.append(backend.is_main_thread())

        start = now(backend)
        backend.call_later(delay, fire)
        settle(dispatcher, lambda: fired, what="the timer")
        early = start + delay - fired[0]
        assert early <= self.timer_tolerance, (
            f"a {delay * 1000:.0f} ms timer fired {early * 1000:.1f} ms early: a timer may be "
            "late, never early"
        )
        elapse(dispatcher, 0.1)
        assert len(fired) == 1, f"a timer fired {len(fired)} times: call_later fires once"
        assert on_main == [True], "a timer ran off the main thread: timers run on the main thread"

    def test_timers_fire_in_deadline_order(self, dispatcher: ud.Dispatcher) -> None:
        """Timers fire in the order of their deadlines, zero delay included."""
        backend = dispatcher.backend
        out: list[float] = []
        for delay in (0.15, 0.05, 0.0, 0.10):
            backend.call_later(delay, functools.partial(out.append, delay))
        settle(dispatcher, lambda: len(out) == 4, what="four timers")
        assert out == [0.0, 0.05, 0.10, 0.15]

    def test_cancelled_timer_never_fires_and_cancel_is_idempotent(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """A cancelled timer never fires; ``cancel()`` twice, or after firing, is harmless."""
        backend = dispatcher.backend
        out: list[str] = []
        cancelled = backend.call_later(0.03, lambda: out.append("cancelled"))
        backend.call_later(0.06, lambda: out.append("sentinel"))
        cancelled.cancel()
        cancelled.cancel()
        settle(dispatcher, lambda: "sentinel" in out, what="the sentinel timer")
        elapse(dispatcher, 0.05)
        assert out == ["sentinel"]
        fired = backend.call_later(0.0, lambda: out.append("fired"))
        settle(dispatcher, lambda: "fired" in out, what="a zero-delay timer")
        fired.cancel()  # cancelling a timer that already fired is harmless

    def test_is_alive_is_true_for_objects_the_backend_does_not_know(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """``is_alive`` is True for objects the backend does not know."""
        backend = dispatcher.backend
        assert backend.is_alive(_Plain())
        assert backend.is_alive(object())
        assert backend.is_alive("a string")

    def test_is_main_thread_only_on_the_main_thread(self, dispatcher: ud.Dispatcher) -> None:
        """``is_main_thread`` is True on the main thread and False on a worker."""
        backend = dispatcher.backend
        seen: list[bool] = []
        _join(_start(lambda: seen.append(backend.is_main_thread())))
        assert backend.is_main_thread()
        assert seen == [False]

    def test_close_is_idempotent(self, dispatcher: ud.Dispatcher) -> None:
        """``close()`` twice is harmless, on the backend and the dispatcher; posting then raises."""
        backend = dispatcher.backend
        backend.close()
        backend.close()
        dispatcher.close()
        dispatcher.close()
        assert dispatcher.closed
        assert backend.is_main_thread()  # still answers after close
        with pytest.raises(ud.DispatcherClosed):
            dispatcher.call_soon(print)

    def test_an_idle_dispatcher_never_wakes_the_loop(self, dispatcher: ud.Dispatcher) -> None:
        """10,000 calls from a worker cost one wake-up; then idle, zero wake-ups."""
        counting = CountingBackend(dispatcher.backend)
        d = ud.Dispatcher(counting)
        collector = ErrorCollector()
        d.error_handler = collector
        d.configure(budget=1.0)  # one drain for the whole batch, however slow the machine
        out: list[int] = []

        def produce() -> None:
            for i in range(10_000):
                d.call_soon(out.append, i)

        _join(_start(produce))
        assert counting.posts == 1, "10,000 calls from a worker must cost one wake-up"
        settle(d, lambda: len(out) == 10_000, what="10,000 calls")
        posts, drains = counting.posts, d.stats().drains
        elapse(d, 0.3)
        assert (counting.posts, d.stats().drains) == (posts, drains), "the idle loop was woken"
        assert counting.runs == counting.posts, "each posted function runs exactly once"
        d.close()
        assert not collector.errors
