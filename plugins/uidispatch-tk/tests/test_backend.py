"""The Tk backend's own primitives: creation, wake-ups, timers, liveness, pumping, closing."""

from __future__ import annotations

import os
import threading
import time
import tkinter
from collections.abc import Callable

import pytest
import uidispatch_tk
from uidispatch_tk._backend import TkBackend
from uidispatch_tk._wake import PipeWake

import uidispatch as ud


def _run_in_thread(fn: Callable[[], object]) -> list[object]:
    out: list[object] = []

    def target() -> None:
        try:
            out.append(fn())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    return out


def _our_tcl_commands(root: tkinter.Tk) -> tuple[str, ...]:
    return tuple(root.tk.splitlist(root.tk.call("info", "commands", "uidispatch_tk*")))


def _pump_until(backend: TkBackend, predicate: Callable[[], object], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        backend.process_events(0.01)


# ------------------------------------------------------------------------ creation


def test_create_rejects_an_app_that_is_not_a_tk_widget() -> None:
    with pytest.raises(TypeError, match=r"app must be a tkinter\.Tk root .* got 42"):
        uidispatch_tk.create(42)


def test_create_rejects_a_destroyed_root(make_root: Callable[[], tkinter.Tk]) -> None:
    root = make_root()
    root.destroy()
    with pytest.raises(ValueError, match=r"app .* was destroyed; create a new tkinter\.Tk\(\)"):
        uidispatch_tk.create(root)


def test_unknown_wake_kind_is_rejected(root: tkinter.Tk) -> None:
    with pytest.raises(ValueError, match=r"wake must be 'auto', 'pipe' or 'socket', got 'x'"):
        TkBackend(root, wake="x")


def test_without_a_root_the_error_names_the_fix() -> None:
    assert uidispatch_tk.current_app() is None
    with pytest.raises(ud.NoBackendDetected, match=r"create tkinter\.Tk\(\) .* app=root"):
        ud.get_dispatcher("tk")


def test_a_widget_or_toplevel_as_app_binds_to_its_root(root: tkinter.Tk) -> None:
    top = tkinter.Toplevel(root)
    label = tkinter.Label(top)
    for app in (top, label):
        backend = TkBackend(app)
        assert backend._root is root
        backend.close()


def test_created_on_a_worker_while_mainloop_runs_it_is_set_up_by_the_tk_thread(
    root: tkinter.Tk, mainloop: Callable[..., bool]
) -> None:
    made: list[object] = []
    ran: list[int] = []

    def build() -> None:
        backend = TkBackend(root)
        made.append(backend)
        backend.post(lambda: ran.append(threading.get_ident()))

    thread = threading.Thread(target=build, daemon=True)
    root.after(0, thread.start)
    assert mainloop(root, lambda: ran)
    thread.join(5)
    backend = made[0]
    assert isinstance(backend, TkBackend)
    assert backend.is_main_thread()
    assert ran == [threading.get_ident()]
    backend.close()


def test_created_on_a_worker_without_a_running_mainloop_it_says_what_to_do(
    root: tkinter.Tk,
) -> None:
    # _tkinter refuses a worker's Tcl call after about a second when no mainloop runs.
    (result,) = _run_in_thread(lambda: TkBackend(root))
    assert isinstance(result, RuntimeError)
    assert "call uidispatch.get_dispatcher('tk') once on the Tk thread" in str(result)
    assert _our_tcl_commands(root) == ()


# ------------------------------------------------------------------------ posting


@pytest.mark.parametrize("wake", ["pipe", "socket"])
def test_a_worker_post_wakes_an_idle_mainloop(
    root: tkinter.Tk, mainloop: Callable[..., bool], wake: str
) -> None:
    backend = TkBackend(root, wake=wake)
    ran: list[int] = []
    started = threading.Event()

    def produce() -> None:
        started.wait()
        time.sleep(0.05)  # let the loop go idle (blocked in Tcl) before the post
        backend.post(lambda: ran.append(threading.get_ident()))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    root.after(0, started.set)
    assert mainloop(root, lambda: ran)
    assert ran == [threading.get_ident()]
    thread.join(5)
    backend.close()
    assert _our_tcl_commands(root) == ()


def test_a_worker_post_that_destroys_the_root_ends_its_batch_cleanly(
    make_root: Callable[[], tkinter.Tk],
) -> None:
    # The first call of a batch ends the app (uidispatch.aio's run_app closes the window
    # when main returns): the close releases the rest of the batch, and the turn must stop
    # there instead of popping an empty deque (IndexError out of mainloop, seen under load).
    root = make_root()
    backend = TkBackend(root)
    ran: list[str] = []

    def first() -> None:
        ran.append("first")
        root.destroy()

    _run_in_thread(lambda: (backend.post(first), backend.post(lambda: ran.append("second"))))
    root.mainloop()  # returns once the root is destroyed
    assert ran == ["first"]


def test_a_reposted_batch_lets_tk_run_its_idle_handlers_first(root: tkinter.Tk) -> None:
    # Tk paints and applies geometry in idle handlers; a re-post chain of 0 ms timers
    # would starve them. Each batch schedules an idle handler: it must run before the
    # next batch starts.
    backend = TkBackend(root)
    events: list[str] = []

    def batch(n: int) -> None:
        events.append(f"batch {n}")
        root.after_idle(lambda: events.append(f"idle {n}"))
        if n < 5:
            backend.post(lambda: batch(n + 1))

    backend.post(lambda: batch(0))
    _pump_until(backend, lambda: "idle 5" in events)
    for n in range(5):
        assert events.index(f"idle {n}") < events.index(f"batch {n + 1}")
    backend.close()


def test_an_exception_in_a_post_goes_to_report_callback_exception(root: tkinter.Tk) -> None:
    backend = TkBackend(root)
    reported: list[BaseException] = []
    root.report_callback_exception = lambda t, v, tb: reported.append(v)

    def boom() -> None:
        raise ValueError("boom")

    ran: list[str] = []
    backend.post(boom)
    backend.post(lambda: ran.append("after"))
    _pump_until(backend, lambda: ran)
    assert [str(e) for e in reported] == ["boom"]
    backend.close()


def test_keyboard_interrupt_in_a_post_is_raised_by_process_events(root: tkinter.Tk) -> None:
    backend = TkBackend(root)

    def interrupt() -> None:
        raise KeyboardInterrupt

    ran: list[str] = []
    _run_in_thread(lambda: backend.post(interrupt))
    _run_in_thread(lambda: backend.post(lambda: ran.append("next")))

    def pump() -> None:
        for _ in range(100):
            backend.process_events(0.01)

    with pytest.raises(KeyboardInterrupt):
        pump()
    _pump_until(backend, lambda: ran)  # what was queued behind it still runs
    backend.close()


def test_process_events_off_the_tk_thread_raises(root: tkinter.Tk) -> None:
    backend = TkBackend(root)
    (result,) = _run_in_thread(lambda: backend.process_events(0.01))
    assert isinstance(result, RuntimeError)
    assert "call it on the Tk thread" in str(result)
    backend.close()


# ------------------------------------------------------------------------ timers


def test_call_later_never_fires_early(root: tkinter.Tk) -> None:
    backend = TkBackend(root)
    fired: list[float] = []
    start = time.perf_counter()
    # 1.5 ms rounds up to 2 ms (Tcl timers count whole ms); never down to 1 ms.
    backend.call_later(0.0015, lambda: fired.append(time.perf_counter() - start))
    _pump_until(backend, lambda: fired)
    assert fired[0] >= 0.0015
    backend.close()


def test_close_cancels_pending_timers(root: tkinter.Tk) -> None:
    backend = TkBackend(root)
    fired: list[str] = []
    backend.call_later(0.01, lambda: fired.append("timer"))
    backend.close()
    deadline = time.monotonic() + 0.1
    while time.monotonic() < deadline:
        root.tk.dooneevent(0x2)  # DONT_WAIT: pump without the closed backend
    assert fired == []
    timer = backend.call_later(0.0, lambda: fired.append("after close"))
    timer.cancel()
    assert fired == []


# ------------------------------------------------------------------------ liveness


def test_is_alive_follows_winfo_exists(make_root: Callable[[], tkinter.Tk]) -> None:
    root = make_root()
    other = make_root()
    backend = TkBackend(root)
    label = tkinter.Label(root)
    gone = tkinter.Label(root)
    gone.destroy()
    orphan = tkinter.Label(other)
    other.destroy()
    assert backend.is_alive(label)
    assert backend.is_alive(root)
    assert not backend.is_alive(gone)
    assert not backend.is_alive(orphan)  # its whole application was destroyed
    assert backend.is_alive(tkinter.StringVar(root))  # not a widget: alive
    assert backend.is_alive(object())
    backend.close()


# ------------------------------------------------------------------------ closing


def test_close_on_the_tk_thread_removes_every_trace_from_tk(root: tkinter.Tk) -> None:
    tags = root.bindtags()
    backend = TkBackend(root)
    assert backend._tag in root.bindtags()
    backend.post(lambda: None)  # an armed "after idle" must be cancelled too
    backend.close()
    backend.close()
    assert root.bindtags() == tags
    assert _our_tcl_commands(root) == ()
    assert root.tk.call("after", "info") == ""
    assert backend._root is None  # the backend no longer holds the root


def test_close_from_a_worker_makes_no_tcl_call_and_the_tk_thread_releases(
    root: tkinter.Tk,
) -> None:
    backend = TkBackend(root)
    wake = backend._wake
    assert isinstance(wake, PipeWake)
    read_fd = wake._read_fd
    _run_in_thread(backend.close)
    assert backend._root is root  # nothing Tk-side done on the worker
    ran: list[str] = []
    _run_in_thread(lambda: backend.post(lambda: ran.append("dropped")))
    _pump_until(backend, lambda: backend._root is None)
    assert ran == []
    assert _our_tcl_commands(root) == ()
    with pytest.raises(OSError, match="Bad file descriptor"):  # the pipe is closed
        os.fstat(read_fd)


def test_destroying_the_root_closes_even_if_the_app_rebinds_destroy(
    root: tkinter.Tk,
) -> None:
    backend = TkBackend(root)
    closed: list[str] = []
    backend.on_app_closed(lambda: closed.append("closed"))
    # An app's own binding replaces the root's <Destroy> script; ours lives on its own tag.
    root.bind("<Destroy>", lambda e: "break")
    tkinter.Label(root).destroy()  # a child's destruction is not the app's
    assert closed == []
    root.destroy()
    assert closed == ["closed"]
    assert backend._root is None
