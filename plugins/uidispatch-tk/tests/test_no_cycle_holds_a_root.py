"""No reference cycle anywhere may hold a Tk root: after each Tk scenario, a collection on a
worker thread must not abort the process.

Tcl aborts ("Tcl_AsyncDelete: async handler deleted by the wrong thread") when the collector
frees an interpreter on a thread other than the one that made it (BASELINES.md, Tk hazards).
A root is freed by the collector only if a cycle holds it, and a frame is enough: an
exception kept alive holds its traceback's frames, each frame holds its caller (``f_back``)
and all their locals. So each scenario below runs in a child process with automatic
collection off, drops every reference it made, and then collects on a worker thread.

When a scenario fails, it is run again with ``DIAGNOSE=1``: the collection then saves what
it found (``gc.DEBUG_SAVEALL``) and the child prints the Tk objects and frames in the
garbage, which names the code that made the cycle.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import collections, functools, gc, os, sys, threading, time, tkinter
import uidispatch as ud
from uidispatch._core import _registry

gc.disable()  # collect only where this script says: on a worker thread


def run_mainloop(root, until, timeout=10.0):
    # C-level Tcl timers: no Tcl command that a destroyed root could leave dangling.
    tkapp = root.tk
    tokens = []

    def check():
        if until():
            root.quit()
        else:
            tokens.append(tkapp.createtimerhandler(5, check))

    tokens.append(tkapp.createtimerhandler(0, check))
    tokens.append(tkapp.createtimerhandler(int(timeout * 1000), root.quit))
    root.mainloop()
    for token in tokens:
        token.deletetimerhandler()
    check = None  # noqa: F841 - it named itself through its cell: a cycle holding root
    assert until(), "the scenario did not finish"


def start(fn, *args):
    thread = threading.Thread(target=fn, args=args, daemon=True)
    thread.start()
    return thread

"""

EPILOGUE = """
scenario()
ud.use(None)
_registry.reset()
assert getattr(tkinter, "_default_root", None) is None
if os.environ.get("DIAGNOSE"):
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep the garbage: nothing Tk is freed, nothing aborts
collector = threading.Thread(target=gc.collect)
collector.start()
collector.join()
if os.environ.get("DIAGNOSE"):
    found = [o for o in gc.garbage if isinstance(o, tkinter.Misc)]
    frames = [o for o in gc.garbage if type(o).__name__ == "frame"]
    print("tk objects in cycles:", found)
    for f in frames:
        print("frame in garbage:", f.f_code.co_filename, f.f_lineno, f.f_code.co_name)
    print("garbage by type:", collections.Counter(type(o).__name__ for o in gc.garbage))
    sys.exit(3 if found else 0)
print("survived")
"""

# Each scenario is the body of ``def scenario():``; every name it makes is dropped when it
# returns, as an app's function returns after ``mainloop()``.
SCENARIOS: dict[str, str] = {
    # The quickstart: auto-detection (a frame walk) inside the function that owns the root.
    "auto-detection": """
        root = tkinter.Tk()
        ud.get_dispatcher()
        root.after(50, root.destroy)
        root.mainloop()
    """,
    "auto-detection-inside-mainloop": """
        root = tkinter.Tk()
        found = []
        root.after(0, lambda: found.append(ud.get_dispatcher()))
        run_mainloop(root, lambda: found)
        root.destroy()
    """,
    "auto-detection-from-a-worker": """
        root = tkinter.Tk()
        found = []
        ud.get_dispatcher()
        root.after(0, lambda: start(lambda: found.append(ud.get_dispatcher())))
        run_mainloop(root, lambda: found)
        root.destroy()
    """,
    # A worker blocked in call() while nobody pumps, released by destroy().
    "waiter-released-by-destroy": """
        root = tkinter.Tk()
        d = ud.get_dispatcher("tk", app=root)
        out = []

        def waiter():
            try:
                d.call(root.winfo_exists)
            except ud.DispatcherClosed as exc:
                out.append(type(exc))

        thread = start(waiter)
        while d.stats().pending == 0:
            time.sleep(0.001)
        root.destroy()
        thread.join(10)
        assert out == [ud.DispatcherClosed], out
    """,
    # Posters and waiters in flight when the window is closed from a callback.
    "destroy-with-posters-and-waiters": """
        root = tkinter.Tk()
        label = tkinter.Label(root)
        d = ud.get_dispatcher()
        stop = threading.Event()
        outcomes = collections.Counter()

        def poster():
            try:
                while not stop.is_set():
                    d.call_soon(label.configure, {"text": "x"}, owner=label)
                    d.call_soon(functools.partial(label.configure, text="y"), key="k")
                    time.sleep(0.0005)
            except ud.DispatcherClosed:
                outcomes["poster"] += 1

        def waiter():
            try:
                while not stop.is_set():
                    d.call(root.winfo_exists)
                    d.call(label.cget, "text", timeout=5)
            except ud.DispatcherClosed:
                outcomes["waiter"] += 1

        threads = [start(poster), start(poster), start(waiter), start(waiter)]
        root.after(150, root.destroy)
        root.mainloop()
        stop.set()
        for thread in threads:
            thread.join(10)
        assert outcomes["poster"] + outcomes["waiter"] >= 1, outcomes
    """,
    # The callback raised: the waiter re-raises the main thread's exception (its traceback
    # holds the main thread's frames).
    "waiter-gets-the-callbacks-exception": """
        root = tkinter.Tk()
        d = ud.get_dispatcher()
        out = []

        def fails():
            raise ValueError(root)

        def waiter():
            try:
                d.call(fails)
            except ValueError:
                out.append("done")

        root.after(0, lambda: start(waiter))
        run_mainloop(root, lambda: out == ["done"])
        root.destroy()
    """,
    "call-timeout-then-destroy": """
        root = tkinter.Tk()
        d = ud.get_dispatcher("tk", app=root)
        out = []

        def waiter():
            try:
                d.call(root.winfo_exists, timeout=0.01)
            except TimeoutError as exc:
                out.append(type(exc))

        start(waiter).join(10)
        assert out == [TimeoutError], out
        root.destroy()
    """,
    "pool-tasks-with-callbacks": """
        root = tkinter.Tk()
        label = tkinter.Label(root)
        d = ud.get_dispatcher()
        pool = ud.Pool(max_workers=4)
        seen = []

        def work(n):
            for i in range(5):
                ud.report_progress(i, "step")
            if n % 2:
                raise ValueError(f"task {n} failed with {root}")
            return n

        for n in range(6):
            pool.submit(
                work, n, on_done=seen.append, on_error=seen.append,
                on_progress=lambda v, m: label.configure(text=m), owner=label,
            )
        run_mainloop(root, lambda: len(seen) == 6)
        waited = []
        tasks = [pool.submit(work, 1)]

        def wait_for_it():
            try:
                # No name for the task in this frame: the task keeps its exception, whose
                # traceback keeps this frame (the same holds for any concurrent Future).
                tasks.pop().result(10)
            except ValueError as exc:
                waited.append(type(exc))

        start(wait_for_it).join(10)
        assert waited == [ValueError], waited
        root.destroy()
        pool.shutdown(wait=True)
    """,
    # The window closes while tasks still report progress and then finish.
    "pool-tasks-outlive-the-window": """
        root = tkinter.Tk()
        d = ud.get_dispatcher()
        pool = ud.Pool(max_workers=2)
        go = threading.Event()

        def work():
            for i in range(50):
                ud.report_progress(i)
                time.sleep(0.001)
            go.wait(10)
            raise ValueError(root)

        tasks = [pool.submit(work, on_progress=print, on_done=print, on_error=print)
                 for _ in range(2)]
        root.after(30, root.destroy)
        root.mainloop()
        go.set()
        pool.shutdown(wait=True)
        for task in tasks:
            assert isinstance(task.exception(), ValueError)
    """,
    "decorators": """
        root = tkinter.Tk()
        d = ud.get_dispatcher()
        label = tkinter.Label(root)
        out = []

        @ud.main_thread
        def later(text):
            label.configure(text=text)
            raise KeyError(text)

        @ud.main_thread(wait=True)
        def now(text):
            label.configure(text=text)
            if text == "bad":
                raise ValueError(text)
            return text

        @ud.throttle(0.02)
        def throttled(text):
            label.configure(text=text)

        @ud.debounce(0.02)
        def debounced(text):
            label.configure(text=text)

        def worker():
            try:
                later("a").result(10)  # no name for the Future: see wait_for_it above
            except KeyError as exc:
                out.append(type(exc))
            out.append(now("b"))
            try:
                now("bad")
            except ValueError as exc:
                out.append(type(exc))
            for i in range(20):
                throttled(str(i))
                debounced(str(i))
            out.append("done")

        root.after(0, lambda: start(worker))
        run_mainloop(root, lambda: "done" in out)
        throttled("pending")  # leaves a trailing call pending at destroy
        debounced("pending")
        root.destroy()
        assert out == [KeyError, "b", ValueError, "done"], out
    """,
    "stall-watchdog": """
        root = tkinter.Tk()
        d = ud.get_dispatcher()
        stalls = []
        watch = d.watch_stalls(0.05, stalls.append)

        def stall():
            time.sleep(0.3)

        root.after(20, stall)
        run_mainloop(root, lambda: any(s.ended for s in stalls))
        root.destroy()
        watch.stop()
    """,
    # A worker asks for the dispatcher of a root already destroyed: the setup fails (Tcl
    # refuses the call: that root runs no mainloop) and the worker gets the error.
    "worker-asks-for-a-destroyed-root": """
        root = tkinter.Tk()
        gone = tkinter.Tk()
        gone.destroy()
        out = []

        def ask():
            try:
                ud.get_dispatcher("tk", app=gone)
            except RuntimeError:
                out.append("refused")

        root.after(0, lambda: start(ask))
        run_mainloop(root, lambda: out)
        root.destroy()
    """,
    "first-lookup-race": """
        root = tkinter.Tk()
        got = []
        barrier = threading.Barrier(5)

        def worker():
            barrier.wait(10)
            got.append(ud.get_dispatcher())

        def race():
            threads = [start(worker) for _ in range(4)]
            barrier.wait(10)
            got.append(ud.get_dispatcher())

        root.after(0, race)
        run_mainloop(root, lambda: len(got) == 5)
        assert len({id(d) for d in got}) == 1
        root.destroy()
    """,
}


def _run(name: str, diagnose: bool = False) -> subprocess.CompletedProcess[str]:
    body = textwrap.indent(textwrap.dedent(SCENARIOS[name]), "    ")
    script = PRELUDE + "def scenario():\n" + body + EPILOGUE
    env = dict(os.environ)
    if diagnose:
        env["DIAGNOSE"] = "1"
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_collection_on_a_worker_after_the_scenario_does_not_abort(name: str) -> None:
    proc = _run(name)
    if proc.returncode != 0:
        why = _run(name, diagnose=True)
        pytest.fail(
            f"exit code {proc.returncode}: {proc.stderr[-1500:]}\n"
            f"diagnosis: {why.stdout[-3000:]}{why.stderr[-1500:]}"
        )
    assert proc.stdout.strip().endswith("survived")
