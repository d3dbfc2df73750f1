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
