"""The dispatcher half of the conformance suite: the core's promises through a real backend."""

from __future__ import annotations

import gc
import logging
import threading
import time
from typing import ClassVar

import pytest

import uidispatch as ud

from ._contract_backend import _all_on_main, _join, _Plain, _start
from ._counting import elapse, settle
from ._errors import ErrorCollector

__all__ = ["DispatcherChecks"]

_KEEP = _Plain()  # a live owner for the whole session


def _settle_app_end(dispatcher: ud.Dispatcher, timeout: float) -> None:
    """Run the loop until the dispatcher closed with its app; say how the loop ended if not."""
    start = time.monotonic()
    try:
        settle(dispatcher, lambda: dispatcher.closed, timeout, what="the dispatcher to close")
    except AssertionError:
        took = time.monotonic() - start
        how = (
            f"the loop returned at once (after {took:.2f} s)"
            if took < timeout / 2
            else f"the loop ran {took:.1f} s"
        )
        raise AssertionError(
            f"{how}: the app was gone but the dispatcher stayed open (a backend calls its "
            "on_app_closed callbacks when the app goes away)"
        ) from None


class DispatcherChecks:
    """Tests of :class:`uidispatch.Dispatcher` semantics on top of the backend under test."""

    patience: ClassVar[float]

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object | None:
        """See :meth:`uidispatch.testing.conformance.BackendConformance.dead_owner`."""
        raise NotImplementedError

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        """See :meth:`uidispatch.testing.conformance.BackendConformance.close_app`."""
        raise NotImplementedError

    def test_call_soon_keeps_each_producers_order_across_four_producers(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """``call_soon`` from 4 producers keeps each one's order; all run on the main thread."""
        out: list[tuple[int, int, int]] = []
        per = 2_000
        barrier = threading.Barrier(4)

        def record(i: int, j: int) -> None:
            out.append((i, j, threading.get_ident()))

        def produce(i: int) -> None:
            barrier.wait()
            for j in range(per):
                dispatcher.call_soon(record, i, j)

        threads = [_start(produce, i) for i in range(4)]
        settle(dispatcher, lambda: len(out) == 4 * per, what="every call to run")
        _join(*threads)
        for i in range(4):
            assert [j for k, j, _ in out if k == i] == list(range(per))
        _all_on_main({ident for _, _, ident in out}, "call_soon calls")
        stats = dispatcher.stats()
        assert (stats.executed, stats.pending, stats.dropped) == (4 * per, 0, 0)

    def test_call_from_a_worker_returns_the_main_threads_result(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """``call`` from a worker returns the main thread's result and re-raises its exception."""
        results: dict[str, object] = {}

        def ask() -> None:
            results["value"] = dispatcher.call(threading.get_ident, timeout=10)
            try:
                dispatcher.call(int, "not a number", timeout=10)
            except ValueError as exc:
                results["error"] = exc

        thread = _start(ask)
        settle(dispatcher, lambda: "error" in results or not thread.is_alive(), what="call()")
        _join(thread)
        assert results["value"] == threading.get_ident()
        assert isinstance(results["error"], ValueError)  # raised in the caller, not logged

    def test_call_later_from_a_worker_runs_on_the_main_thread_and_cancels_from_any_thread(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """``call_later`` from a worker runs on the main thread; ``cancel()`` there stops it."""
        seen: dict[str, int] = {}

        def record(what: str) -> None:
            seen[what] = threading.get_ident()

        def schedule() -> None:
            dispatcher.call_later(0.02, record, "ran")
            dispatcher.call_later(0.02, record, "cancelled").cancel()

        _join(_start(schedule))
        settle(dispatcher, lambda: "ran" in seen, what="the timer set from a worker")
        elapse(dispatcher, 0.05)
        assert seen == {"ran": threading.get_ident()}

    def test_call_soon_skips_a_collected_owner(self, dispatcher: ud.Dispatcher) -> None:
        """A call whose owner was garbage-collected is skipped and counted as dropped."""
        out: list[str] = []
        dropped = dispatcher.stats().dropped
        owner: _Plain | None = _Plain()
        dispatcher.call_soon(out.append, "skipped", owner=owner)
        del owner
        gc.collect()
        dispatcher.call_soon(out.append, "ran")
        settle(dispatcher, lambda: out, what="the second call")
        assert out == ["ran"]
        assert dispatcher.stats().dropped == dropped + 1

    def test_call_soon_skips_an_owner_the_backend_reports_dead(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """A call whose owner the backend reports dead (a destroyed widget) is skipped."""
        owner = self.dead_owner(dispatcher)
        if owner is None:
            pytest.skip(
                f"{dispatcher.backend.name}: no dead_owner() override, so is_alive() on a "
                "destroyed widget is not proven here"
            )
        assert not dispatcher.backend.is_alive(owner)
        dropped = dispatcher.stats().dropped
        out: list[str] = []
        dispatcher.call_soon(out.append, "skipped", owner=owner)
        dispatcher.call_soon(out.append, "ran", owner=_KEEP)
        settle(dispatcher, lambda: out, what="the call with a live owner")
        assert out == ["ran"]
        assert dispatcher.stats().dropped == dropped + 1

    def test_a_raising_callback_reaches_the_error_handler_and_the_rest_still_run(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """A raising callback or timer reaches the error handler; the calls after it still run."""
        collector = ErrorCollector()
        dispatcher.error_handler = collector
        out: list[int] = []

        def boom() -> None:
            raise ValueError("boom")

        dispatcher.call_soon(out.append, 1)
        dispatcher.call_soon(boom)
        dispatcher.call_soon(out.append, 2)
        dispatcher.call_later(0.01, boom)
        settle(dispatcher, lambda: out == [1, 2] and len(collector.errors) == 2, what="errors")
        assert [str(exc) for exc in collector.take()] == ["boom", "boom"]
        assert dispatcher.stats().errors >= 2

    def test_a_flood_of_calls_yields_to_toolkit_timers(self, dispatcher: ud.Dispatcher) -> None:
        """A flood of slow calls is drained in budgets, with toolkit timers running in between."""
        total = 400
        ran = [0]
        timer_saw: list[int] = []

        def busy() -> None:  # 0.5 ms of work: 200 ms in all, 25 budgets of 8 ms
            end = time.perf_counter() + 0.0005
            while time.perf_counter() < end:
                pass
            ran[0] += 1

        for _ in range(total):
            dispatcher.call_soon(busy)
        dispatcher.call_later(0.0, lambda: timer_saw.append(ran[0]))
        settle(dispatcher, lambda: ran[0] == total and timer_saw, what="the flood and the timer")
        assert timer_saw[0] < total, (
            "the timer waited for the whole flood: a drain re-posted when its budget is spent "
            "must run on a later turn of the loop, with timers and painting in between"
        )
        assert dispatcher.stats().drains > 1

    def test_close_releases_a_worker_waiting_in_call(self, dispatcher: ud.Dispatcher) -> None:
        """``close()`` releases a worker waiting in ``call`` with ``DispatcherClosed``."""
        raised: list[BaseException] = []

        def wait_in_call() -> None:
            try:
                dispatcher.call(lambda: None, timeout=30)
            except BaseException as exc:
                raised.append(exc)

        thread = _start(wait_in_call)
        deadline = time.monotonic() + 10
        # Not pumping: the call stays queued until close() releases it.
        while dispatcher.stats().pending < 1:
            assert time.monotonic() < deadline, "the worker's call() never got queued"
            time.sleep(0.001)
        dispatcher.close()
        _join(thread)
        assert len(raised) == 1
        assert isinstance(raised[0], ud.DispatcherClosed)

    def test_app_going_away_closes_the_dispatcher(self, dispatcher: ud.Dispatcher) -> None:
        """When the toolkit's app goes away the dispatcher closes itself."""
        if not self.close_app(dispatcher):
            pytest.skip(
                f"{dispatcher.backend.name}: no close_app() override, so closing with the "
                "app is not proven here"
            )
        _settle_app_end(dispatcher, self.patience)
        with pytest.raises(ud.DispatcherClosed):
            dispatcher.call_soon(print)

    def test_a_task_whose_app_went_away_drops_its_callbacks_quietly_and_counts_them(
        self, dispatcher: ud.Dispatcher, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A task reporting after its app went away: callbacks dropped, counted, not logged.

        They count in ``PoolStats.dropped_callbacks``.
        """
        pool = ud.Pool(max_workers=1, dispatcher=dispatcher)
        go = threading.Event()
        seen: list[object] = []

        def work() -> str:
            go.wait(30)
            for i in range(10):
                ud.report_progress(i)
            return "done"

        try:
            task = pool.submit(
                work, on_progress=lambda value, _: seen.append(value), on_done=seen.append
            )
            if not self.close_app(dispatcher):
                pytest.skip(f"{dispatcher.backend.name}: no close_app() override")
            _settle_app_end(dispatcher, self.patience)
            go.set()
            assert task.result(30) == "done"
        finally:
            go.set()
            pool.shutdown(wait=True)
        assert seen == []
        assert pool.stats().dropped_callbacks == 11  # ten reports and on_done
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
