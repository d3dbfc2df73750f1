"""Workflow services on a real Tk loop: breaker changes on the Tk thread, shutdown never hangs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import tkinter
from collections.abc import Callable

import uidispatch as ud

WAIT = 10.0


def _down() -> None:
    raise OSError("service down")


def test_breaker_changes_reach_the_tk_thread_as_an_app_banner_would_show_them(
    root: tkinter.Tk,
    tk_dispatcher: ud.Dispatcher,
    mainloop: Callable[..., bool],
) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=tk_dispatcher)
    br = ud.CircuitBreaker(max_failures=1, window=60.0, reset_after=0.05)
    banner = tkinter.Label(root, text="")
    seen: list[tuple[str, int]] = []

    def show(state: str) -> None:  # the one-line "service down" banner
        banner.configure(text="service down" if state == "open" else "")
        seen.append((state, threading.get_ident()))

    br.on_change(show, owner=banner)
    errors: list[BaseException] = []
    pool.submit(_down, breaker=br, on_error=errors.append)  # opens it on a worker
    # half_open comes from the breaker's own timer thread, reset_after later.
    assert mainloop(root, lambda: len(seen) >= 2, WAIT)
    assert banner.cget("text") == ""
    probe = pool.submit(abs, -1, breaker=br)
    assert mainloop(root, lambda: len(seen) >= 3, WAIT)
    assert probe.result(0) == 1
    assert [state for state, _ in seen] == ["open", "half_open", "closed"]
    assert {ident for _, ident in seen} == {threading.get_ident()}
    assert isinstance(errors[0], OSError)
    assert pool.shutdown(timeout=WAIT)


_DEADLOCK = """
import threading, tkinter, uidispatch as ud
from uidispatch.testing import ensure_display
ensure_display()
root = tkinter.Tk()
d = ud.get_dispatcher("tk", app=root)
pool = ud.Pool(max_workers=2, dispatcher=d)
task = pool.submit(d.call, root.winfo_exists)  # the worker waits for the Tk thread
try:
    pool.shutdown(wait=True)  # an on-close handler on the Tk thread
except RuntimeError as exc:
    print("raised:", exc)
print("deadline:", pool.shutdown(wait=True, timeout=0.2))
assert d.run_until(task.done, 10)
print("served on main:", task.result(0) == 1)
print("then:", pool.shutdown(wait=True, timeout=10))
root.destroy()
"""


def test_shutdown_on_the_tk_thread_never_hangs_on_a_worker_in_call() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_DEADLOCK)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("raised: pool 'uidispatch-pool': shutdown(wait=True) on the main")
    assert "blocked in Dispatcher.call(), waiting for this main thread" in lines[0]
    assert lines[1:] == ["deadline: False", "served on main: True", "then: True"]


_CLOSE_MID_WORK = """
import faulthandler, threading, tkinter, uidispatch as ud
# It hung in CI (3.10): the UI thread starved behind the crawler's progress reports, whose
# sleep(0) yields kept the interpreter from forcing a GIL switch (fixed in the pacing). If
# it hangs again, every thread's stack is printed before the test's timeout.
faulthandler.dump_traceback_later(45, exit=True)
from uidispatch.testing import ensure_display
ensure_display()

root = tkinter.Tk()
status = tkinter.Label(root, text="")
status.pack()
banner = tkinter.Label(root, text="")
banner.pack()
pool = ud.Pool(max_workers=4)
api = ud.RateLimiter(1, 60.0)  # the rest of the calls wait for a minute
service = ud.CircuitBreaker(max_failures=1, window=60.0, reset_after=60.0)
service.on_change(lambda s: banner.configure(text=f"service {s}"), owner=banner)
started = threading.Event()

def crawl():
    started.set()
    for i in range(10**9):
        ud.report_progress(i)
        ud.check_cancelled()

def down():
    raise OSError("service down")

crawler = pool.submit(crawl, rate_limiter=api, owner=status,
                      on_progress=lambda v, _: status.configure(text=str(v)))
# The crawler holds the one token before the rest are submitted: the limiter admits at
# attempt start, so with 4 workers an abs task could otherwise win it and the crawler
# would wait a minute (a 60 s hang seen once in CI on 3.10).
assert started.wait(10)
waiting = [pool.submit(abs, -i, rate_limiter=api, owner=status,
                       on_done=lambda v: status.configure(text=str(v))) for i in range(5)]
failed = pool.submit(down, breaker=service, on_error=lambda e: None)
results = {}

def on_close():
    results["stopped"] = pool.shutdown(cancel_pending=True, cancel_running=True, timeout=5)
    root.destroy()

root.protocol("WM_DELETE_WINDOW", on_close)

def close_when_busy():
    if started.is_set() and banner.cget("text") == "service open":
        on_close()  # what the window manager's close button calls
    else:
        root.after(10, close_when_busy)

root.after(10, close_when_busy)
root.mainloop()
print("stopped:", results["stopped"])
print("crawler:", crawler.state.value)
print("waiting:", sorted({t.state.value for t in waiting}))
print("breaker:", service.state)
print(pool.report().splitlines()[0])
"""


def test_closing_the_window_with_limited_running_and_refused_work_exits_cleanly() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CLOSE_MID_WORK)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "stopped: True",
        "crawler: cancelled",
        "waiting: ['cancelled']",
        "breaker: open",
        "uidispatch pool 'uidispatch-pool': 3 operation(s)",
    ]
    assert "Traceback" not in proc.stderr, proc.stderr
