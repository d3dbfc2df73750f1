"""Faults: raising callbacks, re-entrant callbacks, owners dying mid-drain, a failing backend
post, broken plugins; each handled as documented, counted, and never stopping later callbacks.

Cases already pinned elsewhere are not repeated here: a plain ``ValueError`` and a custom
``BaseException`` in ``test_queue.py``, ``KeyboardInterrupt`` on the plain path, a plugin
raising ``ImportError`` at import, a raising hook and a ``ZeroDivisionError`` in ``detect()``
in ``test_plugins.py``.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.metadata
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import uidispatch as ud
from uidispatch._backends._virtual import VirtualBackend
from uidispatch._core import _plugins
from uidispatch.testing import ErrorCollector, wait_until

Dispatcher = ud.Dispatcher


class Widget:
    pass


class CustomBase(BaseException):
    pass


# ----------------------------------------------------------------- raising callbacks

RAISED = [
    pytest.param(lambda: ValueError("plain"), id="Exception"),
    pytest.param(lambda: CustomBase("custom"), id="BaseException-subclass"),
    pytest.param(lambda: GeneratorExit("genexit"), id="GeneratorExit"),
    pytest.param(lambda: asyncio.CancelledError("cancelled"), id="CancelledError"),
]

# Each kind of entry takes its own path through the drain.
KINDS: dict[str, Callable[[Dispatcher, Callable[[], None]], None]] = {
    "plain": lambda d, fn: d.call_soon(fn),
    "priority": lambda d, fn: d.call_soon(fn, priority=ud.Priority.HIGH),
    "keyed": lambda d, fn: d.call_soon(fn, key=("fault", id(fn))),
    "owned": lambda d, fn: d.call_soon(fn, owner=KEEP_ALIVE),
}
KEEP_ALIVE = Widget()


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("make", RAISED)
def test_raising_callback_goes_to_the_handler_and_later_callbacks_run(
    virtual_dispatcher: Dispatcher, kind: str, make: Callable[[], BaseException]
) -> None:
    d = virtual_dispatcher
    out: list[int] = []
    exc = make()

    def boom() -> None:
        raise exc

    KINDS[kind](d, boom)
    KINDS[kind](d, lambda: out.append(1))
    d.call_soon(out.append, 2, priority=ud.Priority.IDLE)
    wait_until(d, lambda: out == [1, 2])
    assert d.error_handler.take() == [exc]  # type: ignore[attr-defined]
    s = d.stats()
    assert (s.errors, s.executed, s.pending) == (1, 3, 0)


@pytest.mark.parametrize("make", RAISED)
def test_raising_timer_callback_goes_to_the_handler_and_later_timers_fire(
    virtual_dispatcher: Dispatcher, make: Callable[[], BaseException]
) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[str] = []
    exc = make()

    def boom() -> None:
        raise exc

    d.call_later(0.1, boom)
    d.call_later(0.2, out.append, "later")
    backend.advance(0.3)
    assert out == ["later"]
    assert d.error_handler.take() == [exc]  # type: ignore[attr-defined]
    assert d.stats().errors == 1


@pytest.mark.parametrize("kind", ["keyed", "owned", "priority"])
@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_and_system_exit_propagate_from_every_entry_kind(
    virtual_dispatcher: Dispatcher, kind: str, exc_type: type[BaseException]
) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[int] = []

    def stop() -> None:
        raise exc_type

    KINDS[kind](d, stop)
    d.call_soon(out.append, 1)
    with pytest.raises(exc_type):
        backend.run_ready()
    # The interrupted drain re-posted itself: the rest still runs on the next turn.
    wait_until(d, lambda: out == [1])
    s = d.stats()
    assert (s.executed, s.errors, s.pending) == (2, 1, 0)


def test_system_exit_in_a_waited_call_reaches_the_caller_and_the_loop(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    box: list[BaseException] = []

    def stop() -> None:
        raise SystemExit(3)

    def wait() -> None:
        try:
            d.call(stop)
        except BaseException as exc:
            box.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    # The worker queued the call *and* posted the wake-up (queued first, then posted: with
    # only the first, run_ready() would find nothing to run). Not pumped: that would run it.
    deadline = time.monotonic() + 5
    while not (d.stats().pending == 1 and backend._posts):
        assert time.monotonic() < deadline, "the worker's call was never posted"
        time.sleep(0.001)
    with pytest.raises(SystemExit):
        backend.run_ready()
    t.join(5)
    assert len(box) == 1
    assert isinstance(box[0], SystemExit)
    assert box[0].code == 3


def test_error_handler_raising_a_base_exception_escapes_the_drain_and_the_rest_runs_later(
    virtual_dispatcher: Dispatcher,
) -> None:
    # A handler raising Exception is logged (pinned in test_dispatcher.py). One raising a
    # BaseException is not swallowed: it leaves the drain like KeyboardInterrupt would,
    # the drain re-posts itself, and the remaining calls run on the next loop turn.
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[int] = []

    def bad_handler(exc: BaseException, cb: object) -> None:
        raise CustomBase("handler aborted")

    d.error_handler = bad_handler
    d.call_soon(lambda: 1 / 0)
    d.call_soon(out.append, 1)
    with pytest.raises(CustomBase, match="handler aborted"):
        backend.run_ready()
    wait_until(d, lambda: out == [1])
    s = d.stats()
    assert (s.errors, s.pending) == (1, 0)


def test_callback_whose_error_handler_escapes_is_still_counted_executed(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend

    def bad_handler(exc: BaseException, cb: object) -> None:
        raise CustomBase("handler aborted")

    d.error_handler = bad_handler
    d.call_soon(lambda: 1 / 0)
    d.call_soon(lambda: None)
    with pytest.raises(CustomBase, match="handler aborted"):
        backend.run_ready()
    wait_until(d, lambda: d.stats().pending == 0)
    s = d.stats()
    assert (s.posted, s.executed) == (2, 2)


@pytest.mark.parametrize("make", RAISED)
def test_pool_task_and_callback_raising_are_delivered_and_later_callbacks_run(
    virtual_dispatcher: Dispatcher, make: Callable[[], BaseException]
) -> None:
    # Work that raises fails its task (on_error gets the exception); a main-thread
    # callback that raises goes to the dispatcher's error handler, counted, and the
    # callbacks after it still run.
    d = virtual_dispatcher
    pool = ud.Pool(max_workers=2, dispatcher=d)
    exc = make()
    failures: list[BaseException] = []
    results: list[int] = []

    def work_raises() -> None:
        raise exc

    def callback_raises(result: int) -> None:
        raise exc

    try:
        failed = pool.submit(work_raises, on_error=failures.append)
        tasks = [
            pool.submit(int, i, on_done=callback_raises if i % 2 else results.append)
            for i in range(10)
        ]
        wait_until(
            d,
            lambda: failures and len(results) == 5 and d.stats().errors == 5,
            what="the callbacks",
        )
    finally:
        pool.shutdown(wait=True)
    assert failed.state is ud.TaskState.FAILED
    assert failures == [exc]
    assert sorted(results) == [0, 2, 4, 6, 8]
    assert all(t.state is ud.TaskState.DONE for t in tasks)
    assert d.error_handler.take() == [exc] * 5  # type: ignore[attr-defined]
    s = pool.stats()
    assert (s.completed, s.failed) == (10, 1)


# ----------------------------------------------------------------- re-entrancy


def test_callback_posting_to_every_lane_runs_them_in_priority_order(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    out: list[str] = []

    def fan_out() -> None:
        for p in reversed(list(ud.Priority)):
            d.call_soon(out.append, p.name, priority=p)

    d.call_soon(fan_out, priority=ud.Priority.LOW)
    wait_until(d, lambda: len(out) == 5)
    assert out == ["CRITICAL", "HIGH", "NORMAL", "LOW", "IDLE"]


def test_callback_reposting_itself_does_not_starve_timers(virtual_dispatcher: Dispatcher) -> None:
    # A callback that keeps posting itself must yield to the loop at each budget: the
    # drain ends, the toolkit runs its timers, and the chain goes on.
    d = virtual_dispatcher
    backend: Any = d.backend
    d.configure(budget=0.001)
    count = 0
    fired: list[int] = []

    def again() -> None:
        nonlocal count
        count += 1
        if not fired:
            d.call_soon(again)

    d.call_soon(again)
    d.call_later(0.0, lambda: fired.append(count))
    backend.advance(0)  # one loop turn: a drain (cut by the budget), then the due timer
    assert fired
    assert d.stats().drains >= 1


def test_nested_call_inside_a_callback_runs_inline(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[object] = []

    def outer() -> None:
        out.append(d.call(lambda: d.call(lambda: "deep")))

    d.call_soon(outer)
    wait_until(d, lambda: out)
    assert out == ["deep"]
    assert d.stats().executed == 1  # the inline calls did not go through the queue


def test_callback_closing_the_dispatcher_drops_the_rest_and_releases_waiters(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[str] = []
    box: list[BaseException] = []

    def wait() -> None:
        try:
            d.call(out.append, "waited")
        except BaseException as exc:
            box.append(exc)

    d.call_soon(d.close)
    d.call_soon(out.append, "after")
    t = threading.Thread(target=wait)
    t.start()
    wait_until(d, lambda: d.stats().pending == 3 or d.closed)
    backend.run_ready()
    t.join(5)
    assert d.closed
    assert out == []
    assert len(box) == 1
    assert isinstance(box[0], ud.DispatcherClosed)
    s = d.stats()
    assert (s.executed, s.dropped, s.pending) == (1, 2, 0)


def test_callback_closing_with_run_pending_runs_the_rest_first(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    out: list[str] = []
    d.call_soon(lambda: d.close(run_pending=True))
    d.call_soon(out.append, "after")
    wait_until(d, lambda: d.closed and d.stats().pending == 0)
    assert out == ["after"]
    assert d.stats().dropped == 0


def test_callback_posting_under_block_overflow_does_not_deadlock(
    virtual_dispatcher: Dispatcher,
) -> None:
    # On the main thread "block" never waits; inside a drain it lets the queue exceed the
    # bound rather than recurse into another drain.
    d = virtual_dispatcher
    d.configure(max_pending=2, overflow="block")
    out: list[int] = []

    def burst() -> None:
        for i in range(10):
            d.call_soon(out.append, i)

    d.call_soon(burst)
    wait_until(d, lambda: len(out) == 10)
    assert out == list(range(10))


# ----------------------------------------------------------------- owners dying mid-drain


def test_owner_collected_by_an_earlier_callback_is_skipped(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[str] = []
    widgets = {"w": Widget()}

    def destroy() -> None:
        del widgets["w"]
        gc.collect()

    d.call_soon(destroy)
    d.call_soon(out.append, "plain", owner=widgets["w"])
    d.call_soon(out.append, "keyed", owner=widgets["w"], key="label")
    d.call_soon(out.append, "unowned")
    wait_until(d, lambda: d.stats().pending == 0)
    assert out == ["unowned"]
    s = d.stats()
    assert (s.executed, s.dropped) == (2, 2)


def test_owner_destroyed_by_the_toolkit_mid_drain_is_skipped(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[int] = []
    w = Widget()
    for i in range(100):
        d.call_soon(out.append, i, owner=w)
        if i == 49:
            d.call_soon(backend.kill, w)
    wait_until(d, lambda: d.stats().pending == 0)
    assert out == list(range(50))
    s = d.stats()
    assert (s.executed, s.dropped) == (51, 50)


def test_owner_dying_while_producers_post_loses_no_count(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    w = Widget()
    n = 20_000

    def produce() -> None:
        for i in range(n):
            d.call_soon(lambda: None, owner=w)
            if i == n // 2:
                d.call_soon(backend.kill, w)

    threads = [threading.Thread(target=produce) for _ in range(4)]
    for t in threads:
        t.start()
    wait_until(d, lambda: all(not t.is_alive() for t in threads) and d.stats().pending == 0, 30)
    s = d.stats()
    assert s.posted == 4 * (n + 1)
    assert s.executed + s.dropped == s.posted
    assert s.dropped > 0


# ----------------------------------------------------------------- a backend whose post raises


class FlakyPost(VirtualBackend):
    """A virtual backend whose next ``fail`` posts raise, as a toolkit that is shutting down."""

    def __init__(self) -> None:
        super().__init__()
        self.fail = 0

    def post(self, fn: Callable[[], object]) -> None:
        if self.fail:
            self.fail -= 1
            raise OSError("wake-up pipe is full")
        super().post(fn)


@pytest.fixture
def flaky() -> Iterator[Dispatcher]:
    d = ud.Dispatcher(FlakyPost())
    d.error_handler = ErrorCollector()
    yield d
    d.close()
    assert d.error_handler.take() == []  # type: ignore[attr-defined]


def test_failing_post_raises_in_the_caller_and_the_entry_runs_on_the_next_wake(
    flaky: Dispatcher,
) -> None:
    d = flaky
    backend: Any = d.backend
    out: list[str] = []
    backend.fail = 1
    with pytest.raises(OSError, match="wake-up pipe is full"):
        d.call_soon(out.append, "first")
    # The entry stays queued and counted; no drain is scheduled yet.
    assert d.stats().pending == 1
    assert backend.posts == 0
    d.call_soon(out.append, "second")  # this wake succeeds and drains both, in order
    assert backend.posts == 1
    wait_until(d, lambda: len(out) == 2)
    assert out == ["first", "second"]
    s = d.stats()
    assert (s.posted, s.executed, s.dropped) == (2, 2, 0)


def test_failing_post_from_a_worker_raises_in_the_worker(flaky: Dispatcher) -> None:
    d = flaky
    backend: Any = d.backend
    out: list[int] = []
    box: list[BaseException] = []
    backend.fail = 1

    def produce() -> None:
        try:
            d.call_soon(out.append, 1)
        except OSError as exc:
            box.append(exc)
        d.call_soon(out.append, 2)

    t = threading.Thread(target=produce)
    t.start()
    t.join(5)
    assert len(box) == 1
    wait_until(d, lambda: out == [1, 2])


def test_failing_repost_after_a_budget_propagates_to_the_loop_and_recovers(
    flaky: Dispatcher,
) -> None:
    d = flaky
    backend: Any = d.backend
    d.configure(budget=0.001)
    out: list[int] = []

    def slow(i: int) -> None:
        out.append(i)
        end = time.perf_counter() + 0.002
        while time.perf_counter() < end:
            pass

    for i in range(5):
        d.call_soon(slow, i)
    backend.fail = 1  # the drain's own re-post fails
    with pytest.raises(OSError, match="wake-up pipe is full"):
        backend.run_ready()
    assert out == [0]
    assert d.stats().pending == 4
    d.call_soon(slow, 5)  # the next post wakes the loop again: nothing is stranded
    wait_until(d, lambda: len(out) == 6)
    assert out == list(range(6))


def test_failing_post_in_call_does_not_run_the_callback_later(flaky: Dispatcher) -> None:
    d = flaky
    backend: Any = d.backend
    out: list[str] = []
    box: list[BaseException] = []
    backend.fail = 1

    def wait() -> None:
        try:
            d.call(out.append, "ghost")
        except OSError as exc:
            box.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    t.join(5)
    assert len(box) == 1
    d.call_soon(out.append, "next")
    wait_until(d, lambda: "next" in out)
    assert out == ["next"]


def test_failing_post_in_close_run_pending_drops_and_counts(flaky: Dispatcher) -> None:
    d = flaky
    backend: Any = d.backend
    out: list[int] = []
    backend.fail = 1
    with pytest.raises(OSError, match="wake-up pipe is full"):
        d.call_soon(out.append, 0)
    d_pending = d.stats().pending
    # close(run_pending=True) from a worker needs a post for its final drain; when that
    # fails the pending calls can run nowhere, so they are dropped and counted.
    backend.fail = 1
    t = threading.Thread(target=lambda: d.close(run_pending=True))
    t.start()
    t.join(5)
    assert d.closed
    backend.run_ready()
    assert out == []
    s = d.stats()
    assert (d_pending, s.executed, s.dropped, s.pending) == (1, 0, 1, 0)


# ----------------------------------------------------------------- broken plugins


def make_plugin(tmp_path: Path, module: str, source: str) -> importlib.metadata.EntryPoint:
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    return importlib.metadata.EntryPoint(name=module, value=module, group="uidispatch")


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name.startswith("faulty_"):
            del sys.modules[name]


GOOD = """
from uidispatch.hookspecs import BackendSpec, Detection, hookimpl
from uidispatch._backends._virtual import VirtualBackend

class Backend(VirtualBackend):
    name = "{name}"

@hookimpl
def uidispatch_backends():
    return [BackendSpec(name="{name}", create=lambda app: Backend(), detect={detect})]
"""


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("raise RuntimeError('display not available')", "RuntimeError: display not available"),
        ("import faulty_missing_toolkit_xyz", "ModuleNotFoundError"),
        ("def broken(:\n    pass", "SyntaxError"),
        ("raise AttributeError('half-initialised toolkit')", "AttributeError: half-initial"),
    ],
)
def test_plugin_raising_any_exception_at_import_is_reported_and_others_load(
    plugin_dir: Path, source: str, message: str
) -> None:
    broken = make_plugin(plugin_dir, "faulty_import", source)
    good = make_plugin(plugin_dir, "faulty_good", GOOD.format(name="good", detect="lambda: 4"))
    with pytest.warns(ud.PluginLoadWarning, match="'faulty_import' failed to load"):
        _plugins.reset_registry(_plugins.load_registry([broken, good]))
    infos = ud.backends()
    assert not infos["faulty_import"].loaded
    assert message in (infos["faulty_import"].error or "")
    assert infos["good"].loaded
    d = ud.get_dispatcher()  # auto-detection still works around the broken plugin
    assert d.backend.name == "good"
    d.close()


@pytest.mark.parametrize(
    "detect",
    [
        "lambda: (_ for _ in ()).throw(OSError('no display'))",
        "lambda: 'not a score'",
        "lambda: None",
    ],
)
def test_detect_raising_or_returning_garbage_does_not_break_auto_detection(
    plugin_dir: Path, detect: str
) -> None:
    flaky = make_plugin(plugin_dir, "faulty_detect", GOOD.format(name="aaa", detect=detect))
    good = make_plugin(plugin_dir, "faulty_ok", GOOD.format(name="zzz", detect="lambda: 4"))
    _plugins.reset_registry(_plugins.load_registry([flaky, good]))
    d = ud.get_dispatcher()
    assert d.backend.name == "zzz"
    found = ud._core._registry.detect()
    assert found.scores["aaa"] == 0
    assert "aaa" in found.errors
    d.close()


def test_backend_create_raising_propagates_to_get_dispatcher_and_binds_nothing(
    plugin_dir: Path,
) -> None:
    src = GOOD.format(name="boom", detect="lambda: 5").replace(
        "create=lambda app: Backend()", "create=lambda app: 1 / 0"
    )
    _plugins.reset_registry(_plugins.load_registry([make_plugin(plugin_dir, "faulty_create", src)]))
    with pytest.raises(ZeroDivisionError):
        ud.get_dispatcher("boom")
    with pytest.raises(ZeroDivisionError):  # nothing half-built was cached
        ud.get_dispatcher("boom")
    assert ud.get_dispatcher("virtual").backend.name == "virtual"
