"""main_thread: inline on the main thread, a Future (or a wait) from workers, never a hang."""

from __future__ import annotations

import concurrent.futures
import gc
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import uidispatch as ud

Dispatcher = ud.Dispatcher


def run_in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[Any]]:
    box: list[Any] = []

    def target() -> None:
        try:
            box.append(("ok", fn()))
        except BaseException as exc:
            box.append(("err", exc))

    t = threading.Thread(target=target)
    t.start()
    return t, box


def from_worker(fn: Callable[[], object]) -> Any:
    """Call ``fn`` in a worker that does not wait for the main thread; return its outcome."""
    t, box = run_in_thread(fn)
    t.join(5)
    assert not t.is_alive()
    [(kind, value)] = box
    if kind == "err":
        raise value
    return value


def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait for another thread to reach a state, without running the main loop."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


# Decorated at import, before any dispatcher exists.
@ud.main_thread
def where(tag: str, *, suffix: str = "") -> tuple[str, int]:
    return tag + suffix, threading.get_ident()


# ------------------------------------------------------------------ wait=False (default)


def test_on_the_main_thread_it_runs_inline_and_returns_the_value(
    virtual_dispatcher: Dispatcher,
) -> None:
    ud.use(virtual_dispatcher)
    assert where("x", suffix="!") == ("x!", threading.get_ident())
    assert virtual_dispatcher.stats().posted == 0


def test_from_a_worker_it_returns_a_future_resolved_on_the_main_thread(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    ud.use(d)  # the module-level function resolves its dispatcher now, at first call
    future = from_worker(lambda: where("w", suffix="?"))
    assert isinstance(future, concurrent.futures.Future)
    assert not future.done()
    assert d.run_until(future.done, 5)
    assert future.result() == ("w?", threading.get_ident())


def test_the_future_gets_the_exception_and_it_is_not_an_unhandled_error(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher

    @ud.main_thread(dispatcher=d)
    def fail() -> None:
        raise KeyError("nope")

    future = from_worker(fail)
    assert d.run_until(future.done, 5)
    assert isinstance(future.exception(), KeyError)
    del future
    gc.collect()
    assert d.stats().errors == 0  # the caller read it


def test_an_exception_nobody_reads_reaches_the_error_handler(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher

    @ud.main_thread(dispatcher=d)
    def update_label(text: str) -> None:
        raise RuntimeError(f"label destroyed ({text})")

    from_worker(lambda: update_label("hi"))  # fire and forget: the Future is dropped
    ran: list[bool] = []
    d.call_soon(ran.append, True)
    assert d.run_until(lambda: ran, 5)
    gc.collect()
    [err] = d.error_handler.take()  # type: ignore[attr-defined]
    assert str(err) == "label destroyed (hi)"
    assert d.stats().errors == 1


def test_calls_from_a_worker_keep_their_order(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    seen: list[int] = []
    append = ud.main_thread(dispatcher=d)(seen.append)
    futures = from_worker(lambda: [append(i) for i in range(50)])
    assert d.run_until(lambda: all(f.done() for f in futures), 5)
    assert seen == list(range(50))


def test_close_before_it_runs_fails_the_future_with_dispatcher_closed(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    ran: list[int] = []
    f = ud.main_thread(dispatcher=d)(ran.append)
    future = from_worker(lambda: f(1))
    d.close()
    with pytest.raises(ud.DispatcherClosed):
        future.result(timeout=5)
    assert ran == []


def test_drop_oldest_fails_the_dropped_future_with_queue_full(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=1, overflow="drop_oldest")
    f = ud.main_thread(dispatcher=d)(lambda x: x)
    first, second = from_worker(lambda: (f(1), f(2)))
    with pytest.raises(ud.QueueFull):
        first.result(timeout=5)
    assert d.run_until(second.done, 5)
    assert second.result() == 2


def test_calling_after_close_raises_at_once(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    f = ud.main_thread(dispatcher=d)(lambda: 1)
    d.close()
    with pytest.raises(ud.DispatcherClosed, match="closed dispatcher"):
        f()
    with pytest.raises(ud.DispatcherClosed, match="closed dispatcher"):
        from_worker(f)


def test_a_cancelled_future_never_runs(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    ran: list[int] = []
    f = ud.main_thread(dispatcher=d)(ran.append)
    future = from_worker(lambda: f(1))
    assert future.cancel()
    marker: list[bool] = []
    d.call_soon(marker.append, True)
    assert d.run_until(lambda: marker, 5)
    assert ran == []


# ------------------------------------------------------------------ wait=True


def test_wait_true_blocks_the_worker_and_returns_the_value(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher

    @ud.main_thread(wait=True, dispatcher=d)
    def read(name: str, *, default: str = "") -> tuple[str, int]:
        return name + default, threading.get_ident()

    t, box = run_in_thread(lambda: read("entry", default="!"))
    assert d.run_until(lambda: box, 5)
    t.join(5)
    assert box == [("ok", ("entry!", threading.get_ident()))]


def test_wait_true_reraises_the_exception_in_the_worker(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher

    @ud.main_thread(wait=True, dispatcher=d)
    def read() -> None:
        raise ValueError("bad field")

    t, box = run_in_thread(read)
    assert d.run_until(lambda: box, 5)
    t.join(5)
    [(kind, exc)] = box
    assert kind == "err"
    assert isinstance(exc, ValueError)
    assert d.stats().errors == 0


def test_wait_true_on_the_main_thread_runs_inline(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    f = d.main_thread(wait=True)(lambda a, b: a * b)
    assert f(6, 7) == 42
    assert d.stats().posted == 0


def test_wait_true_times_out_and_withdraws_the_call(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    ran: list[int] = []
    f = ud.main_thread(wait=True, timeout=0.05, dispatcher=d)(ran.append)
    # The main thread is not pumping (it is joining the worker): the wait must end.
    with pytest.raises(TimeoutError, match=r"within timeout=0\.05"):
        from_worker(lambda: f(1))
    d.run_until(lambda: False, 0.05)
    assert ran == []


def test_wait_true_on_a_closed_dispatcher_raises_at_once_instead_of_hanging(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    f = ud.main_thread(wait=True, dispatcher=d)(lambda: 1)
    d.close()
    with pytest.raises(ud.DispatcherClosed):
        from_worker(f)


def test_a_worker_waiting_when_the_dispatcher_closes_is_released(
    virtual_dispatcher: Dispatcher,
) -> None:
    d = virtual_dispatcher
    f = ud.main_thread(wait=True, dispatcher=d)(lambda: 1)
    t, box = run_in_thread(f)
    wait_for(lambda: d.stats().pending == 1)  # the worker's call is queued; it waits
    d.close()
    t.join(5)
    assert not t.is_alive()
    [(kind, exc)] = box
    assert kind == "err"
    assert isinstance(exc, ud.DispatcherClosed)


# ------------------------------------------------------------------ decoration forms


def test_dispatcher_main_thread_bare_and_with_options(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher
    bare = d.main_thread(lambda: "bare")
    future = from_worker(bare)
    assert d.run_until(future.done, 5)
    assert future.result() == "bare"


def test_empty_parentheses_are_the_same_as_bare(virtual_dispatcher: Dispatcher) -> None:
    ud.use(virtual_dispatcher)

    @ud.main_thread()
    def f() -> int:
        return 5

    assert f() == 5


def test_methods_and_metadata_are_kept(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher

    class Label:
        def __init__(self) -> None:
            self.text = ""

        @d.main_thread
        def set_text(self, text: str, *, upper: bool = False) -> None:
            """Show text."""
            self.text = text.upper() if upper else text

    label = Label()
    future = from_worker(lambda: label.set_text("hi", upper=True))
    assert d.run_until(future.done, 5)
    assert label.text == "HI"
    assert Label.set_text.__doc__ == "Show text."
    assert str(inspect.signature(Label.set_text)) == (
        "(self, text: 'str', *, upper: 'bool' = False) -> 'None'"
    )


# ------------------------------------------------------------------ bad input


def test_timeout_without_wait_raises() -> None:
    with pytest.raises(ValueError, match=r"timeout=1 needs wait=True"):
        ud.main_thread(timeout=1)  # type: ignore[call-overload]


@pytest.mark.parametrize("timeout", [-1, float("nan"), float("inf")])
def test_bad_timeout_raises_naming_it(timeout: float) -> None:
    with pytest.raises(ValueError, match=rf"timeout must be .*>= 0, got {timeout!r}"):
        ud.main_thread(wait=True, timeout=timeout)


def test_non_number_timeout_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"timeout must be None or a number of seconds, got '1'"):
        ud.main_thread(wait=True, timeout="1")  # type: ignore[arg-type]


def test_non_bool_wait_raises_naming_it() -> None:
    with pytest.raises(TypeError, match=r"wait must be True or False, got 1"):
        ud.main_thread(wait=1)  # type: ignore[call-overload]


def test_positional_option_raises_with_the_keyword_form() -> None:
    with pytest.raises(TypeError, match=r"@main_thread\(wait=True\)"):
        ud.main_thread(True)  # type: ignore[call-overload]


def test_bad_dispatcher_raises_at_decoration() -> None:
    with pytest.raises(TypeError, match=r"dispatcher must be a uidispatch.Dispatcher or None"):
        ud.main_thread(dispatcher="qt")  # type: ignore[call-overload]
