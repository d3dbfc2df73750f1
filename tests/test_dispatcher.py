"""Dispatcher: call, call_later, run_until, close, configure and bad input at the call site."""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

import pytest

import uidispatch as ud
from uidispatch.testing import wait_until

Dispatcher = ud.Dispatcher


def run_in_thread(fn: Any) -> tuple[threading.Thread, list[Any]]:
    box: list[Any] = []

    def target() -> None:
        try:
            box.append(("ok", fn()))
        except BaseException as exc:
            box.append(("err", exc))

    t = threading.Thread(target=target)
    t.start()
    return t, box


def test_call_from_a_worker_returns_the_result(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    t, box = run_in_thread(lambda: d.call(lambda x: (x, threading.get_ident()), 41))
    wait_until(d, lambda: box)
    t.join(5)
    assert box == [("ok", (41, threading.get_ident()))]


def test_call_reraises_the_callback_error_in_the_caller(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher

    def boom() -> None:
        raise LookupError("from main")

    t, box = run_in_thread(lambda: d.call(boom))
    wait_until(d, lambda: box)
    t.join(5)
    assert box[0][0] == "err"
    assert isinstance(box[0][1], LookupError)
    assert d.stats().errors == 0  # the caller got it: not an unhandled error


def test_call_on_the_main_thread_runs_inline(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    assert d.call(lambda a, b: a + b, 2, 3) == 5
    assert d.stats().posted == 0


def test_call_timeout_withdraws_the_entry(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    ran: list[int] = []
    t, box = run_in_thread(lambda: d.call(ran.append, 1, timeout=0.05))
    t.join(5)  # nobody pumps the loop: the call must time out
    assert box[0][0] == "err"
    assert type(box[0][1]) is TimeoutError
    assert "timeout=0.05" in str(box[0][1])
    wait_until(d, lambda: d.stats().pending == 0)
    assert ran == []
    assert d.stats().dropped == 1


def test_close_releases_every_waiter(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    threads = [run_in_thread(lambda: d.call(lambda: None)) for _ in range(5)]
    deadline = time.monotonic() + 5
    while d.stats().pending < 5 and time.monotonic() < deadline:
        time.sleep(0.001)
    d.close()
    for t, box in threads:
        t.join(5)
        assert not t.is_alive()
        assert box[0][0] == "err"
        assert isinstance(box[0][1], ud.DispatcherClosed)


def test_close_drops_pending_and_counts_them(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[int] = []
    for i in range(10):
        d.call_soon(out.append, i)
    d.close()
    assert out == []
    s = d.stats()
    assert (s.dropped, s.pending, s.posted) == (10, 0, 10)
    with pytest.raises(ud.DispatcherClosed):
        d.call_soon(out.append, 1)
    with pytest.raises(ud.DispatcherClosed):
        d.call(out.append, 1)
    with pytest.raises(ud.DispatcherClosed):
        d.call_later(1, out.append, 1)
    d.close()  # idempotent


def test_close_run_pending_on_the_main_thread_runs_them(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[int] = []
    for i in range(10):
        d.call_soon(out.append, i)
    d.close(run_pending=True)
    assert out == list(range(10))
    assert d.stats().dropped == 0


def test_close_run_pending_from_a_worker_runs_them_on_the_main_thread(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    threads: list[int] = []
    for _ in range(3):
        d.call_soon(lambda: threads.append(threading.get_ident()))
    t, _box = run_in_thread(lambda: d.close(run_pending=True))
    t.join(5)
    assert d.closed
    backend.run_ready()
    assert threads == [threading.get_ident()] * 3
    assert backend.closed


def test_app_closing_closes_the_dispatcher(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    d.call_soon(lambda: None)
    backend.close_app()
    assert d.closed
    assert d.stats().dropped == 1


def test_call_later_on_virtual_time(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[str] = []
    d.call_later(1.0, out.append, "b")
    d.call_later(0.5, out.append, "a")
    backend.advance(0.49)
    assert out == []
    backend.advance(0.01)
    assert out == ["a"]
    backend.advance(0.5)
    assert out == ["a", "b"]


def test_call_later_cancel(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[str] = []
    h = d.call_later(1.0, out.append, "x")
    h.cancel()
    h.cancel()
    backend.advance(2)
    assert out == []


def test_call_later_from_a_worker_counts_from_the_call(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[str] = []
    handles: list[Any] = []
    t, _ = run_in_thread(lambda: handles.append(d.call_later(1.0, out.append, "late")))
    t.join(5)
    backend.advance(0.4)  # virtual time passes before the main thread arms the timer
    backend.advance(0.59)
    assert out == []
    backend.advance(0.01)
    assert out == ["late"]


def test_call_later_cancel_from_a_worker(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend
    out: list[str] = []
    h = d.call_later(1.0, out.append, "x")
    t, _ = run_in_thread(h.cancel)
    t.join(5)
    backend.advance(2)
    assert out == []


def test_call_later_errors_go_to_the_handler(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    backend: Any = d.backend

    def boom() -> None:
        raise RuntimeError("timer boom")

    d.call_later(0.1, boom)
    backend.advance(0.1)
    errors = d.error_handler.take()  # type: ignore[attr-defined]
    assert [str(e) for e in errors] == ["timer boom"]
    assert d.stats().errors == 1


def test_run_until_returns_false_on_timeout(virtual_dispatcher: Dispatcher) -> None:
    assert virtual_dispatcher.run_until(lambda: False, 0.01) is False


def test_run_until_off_the_main_thread_raises(virtual_dispatcher: Dispatcher) -> None:
    t, box = run_in_thread(lambda: virtual_dispatcher.run_until(lambda: True, 1))
    t.join(5)
    assert box[0][0] == "err"
    assert "main thread" in str(box[0][1])


def test_keyword_arguments_are_options_not_forwarded(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[str] = []

    def label(text: str, *, key: str = "") -> None:
        out.append(text + key)

    with pytest.raises(TypeError):
        d.call_soon(label, "x", text="y")  # type: ignore[call-arg]
    d.call_soon(functools.partial(label, key="!"), "hi")
    wait_until(d, lambda: out)
    assert out == ["hi!"]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda d: d.call_soon(42), TypeError, r"fn must be callable, got 42"),
        (lambda d: d.call_soon(print, priority=7), ValueError, r"priority must be .* got 7"),
        (lambda d: d.call_soon(print, priority="high"), ValueError, r"priority .* got 'high'"),
        (lambda d: d.call_soon(print, key=[1]), TypeError, r"key must be hashable, got \[1\]"),
        (lambda d: d.call_soon(print, owner=1), TypeError, r"owner must support weak refer"),
        (lambda d: d.call("nope"), TypeError, r"fn must be callable, got 'nope'"),
        (lambda d: d.call(print, timeout=-1), ValueError, r"timeout must be .* got -1"),
        (lambda d: d.call_later(-0.5, print), ValueError, r"delay must be .* got -0.5"),
        (lambda d: d.call_later("1", print), TypeError, r"delay must be a number .* got '1'"),
        (lambda d: d.call_later(float("nan"), print), ValueError, r"delay .* got nan"),
        (lambda d: d.call_later(1, None), TypeError, r"fn must be callable, got None"),
        (lambda d: d.run_until(lambda: True, -1), ValueError, r"timeout .* got -1"),
        (lambda d: d.configure(budget=0), ValueError, r"budget must be .* got 0"),
        (lambda d: d.configure(budget="x"), ValueError, r"budget must be .* got 'x'"),
        (lambda d: d.configure(max_pending=0), ValueError, r"max_pending must be .* got 0"),
        (lambda d: d.configure(max_pending=True), ValueError, r"max_pending .* got True"),
        (
            lambda d: d.configure(overflow="spill"),
            ValueError,
            r"overflow must be one of .* 'spill'",
        ),
        (lambda d: d.configure(0.1), TypeError, r"positional"),
    ],
)
def test_bad_input_raises_at_the_call_site(
    virtual_dispatcher: Dispatcher, call: Any, exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        call(virtual_dispatcher)
    assert virtual_dispatcher.stats().posted == 0


def test_configure_keeps_options_left_out(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=10, overflow="raise")
    d.configure(budget=0.004)
    q = d._q
    assert (q.budget, q.max_pending, q.overflow) == (0.004, 10, "raise")


def test_stats_is_a_frozen_record(virtual_dispatcher: Dispatcher) -> None:
    s = virtual_dispatcher.stats()
    with pytest.raises(AttributeError):
        s.posted = 3  # type: ignore[misc]
    assert set(s.__dataclass_fields__) >= {
        "posted",
        "executed",
        "coalesced",
        "dropped",
        "errors",
        "pending",
        "max_pending",
        "drains",
        "max_drain_ms",
    }


def test_error_handler_must_be_callable(virtual_dispatcher: Dispatcher) -> None:
    with pytest.raises(TypeError, match="error_handler must be callable, got 3"):
        virtual_dispatcher.error_handler = 3  # type: ignore[assignment]


def test_a_raising_error_handler_is_logged_not_propagated(
    virtual_dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    d = virtual_dispatcher
    out: list[int] = []

    def bad_handler(exc: BaseException, cb: object) -> None:
        raise RuntimeError("handler broke")

    d.error_handler = bad_handler
    d.call_soon(lambda: 1 / 0)
    d.call_soon(out.append, 1)
    wait_until(d, lambda: out == [1])
    assert any("error handler" in r.getMessage() for r in caplog.records)


def test_concurrent_close_and_posting_loses_nothing(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    out: list[int] = []
    stop = threading.Event()

    def produce() -> None:
        while not stop.is_set():
            try:
                d.call_soon(out.append, 1)
            except ud.DispatcherClosed:
                return

    threads = [threading.Thread(target=produce) for _ in range(4)]
    for t in threads:
        t.start()
    wait_until(d, lambda: len(out) > 1000)
    d.close()
    stop.set()
    for t in threads:
        t.join(5)
        assert not t.is_alive()
    s = d.stats()
    assert s.pending == 0
    assert s.posted == s.executed + s.dropped
    assert s.executed == len(out)


def test_a_dropped_dispatcher_is_freed_without_the_cycle_collector() -> None:
    import gc
    import weakref

    from uidispatch._backends._virtual import VirtualBackend

    gc.disable()
    try:
        backend = VirtualBackend()
        d = ud.Dispatcher(backend)
        d.call_soon(lambda: None)
        d.call_later(1.0, lambda: None)
        refs = [weakref.ref(d), weakref.ref(d._q)]
        del d
        assert [r() for r in refs] == [None, None]  # plain refcounting, on this thread
    finally:
        gc.enable()


# ----------------------------------------------------- call_soon bound per dispatcher


def _virtual_backend() -> ud.MainThreadDispatcher:
    from uidispatch._backends._virtual import VirtualBackend

    return VirtualBackend()


def test_call_soon_through_the_class_posts_like_the_instance_method() -> None:
    d = Dispatcher(_virtual_backend())
    seen: list[int] = []
    Dispatcher.call_soon(d, seen.append, 1)  # a subclass's super().call_soon() goes here
    d.call_soon(seen.append, 2, key="k")
    Dispatcher.call_soon(d, seen.append, 3, key="k")  # coalesces into the keyed entry
    assert d.run_until(lambda: d.stats().pending == 0, 5)
    assert seen == [1, 3]
    assert (d.stats().posted, d.stats().coalesced) == (3, 1)
    d.close()


def test_a_subclass_overriding_call_soon_is_called() -> None:
    calls: list[tuple[object, ...]] = []

    class Logged(Dispatcher):
        def call_soon(self, fn: Any, /, *args: Any, **options: Any) -> None:
            calls.append(args)
            super().call_soon(fn, *args, **options)

    d = Logged(_virtual_backend())
    seen: list[int] = []
    d.call_soon(seen.append, 7, priority=ud.Priority.HIGH)
    assert d.run_until(lambda: seen == [7], 5)
    assert calls == [(7,)]
    d.close()


def test_call_soon_patched_on_the_class_is_what_new_dispatchers_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(Dispatcher, "call_soon", lambda self, fn, *args, **kw: calls.append(args))
    d = Dispatcher(_virtual_backend())
    d.call_soon(print, "x")
    assert calls == [("x",)]
    assert d.stats().posted == 0
    d.close()
