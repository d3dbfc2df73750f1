"""A window closed while a pool task runs: the app exits cleanly, whatever the task holds.

The task's function, arguments and callbacks often name the window (a bound method of the
app, a widget). Once the app let go of the window, the pool's thread that ends the task
holds the last reference: freed there, the Tk interpreter goes with it on the wrong thread
and Tcl aborts the process ("Tcl_AsyncDelete: async handler deleted by the wrong thread").
Before the fix each of these shapes aborted, 3 runs in 3.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

SCRIPT = """
import asyncio, gc, sys, threading, time, tkinter
import uidispatch as ud

SHAPE = sys.argv[1]
started, finish = threading.Event(), threading.Event()


class App:
    def __init__(self):
        self.root = tkinter.Tk()
        self.label = tkinter.Label(self.root)
        self.label.pack()
        self.d = ud.get_dispatcher("tk", app=self.root)

    def work(self, *args):
        started.set()
        finish.wait(10)
        if SHAPE == "progress":
            ud.report_progress(0.5)
        if SHAPE == "failing":
            raise ValueError("the traceback's frames name the app")
        return 42

    async def work_async(self):
        started.set()
        while not finish.is_set():
            await asyncio.sleep(0.01)
        return 42

    def show(self, *args):
        self.label.config(text=str(args))


def plain(*args):
    started.set()
    finish.wait(10)
    return 1


def items():
    started.set()
    finish.wait(10)
    for i in range(3):
        yield i


def main():
    app = App()
    pool = ud.Pool(max_workers=1, dispatcher=app.d)
    submit = {
        "bound method": lambda: pool.submit(app.work),
        "widget argument": lambda: pool.submit(plain, app.label),
        "on_done": lambda: pool.submit(plain, on_done=app.show),
        "progress": lambda: pool.submit(app.work, on_progress=app.show),
        "failing": lambda: pool.submit(app.work, on_error=app.show),
        "coroutine": lambda: pool.submit(app.work_async, on_done=app.show),
        "timeout": lambda: pool.submit(app.work, timeout=0.3, on_error=app.show),
        "on_item": lambda: pool.submit(items, on_item=app.show),
    }[SHAPE]
    submit()  # fire and forget: the app keeps no task
    assert started.wait(10)
    app.root.after(50, app.root.destroy)
    app.root.mainloop()
    return pool

pool = main()  # its frame held the app's last references, on this thread
gc.collect()
finish.set()
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    stats = pool.stats()
    if stats.completed + stats.failed + stats.cancelled == 1 and stats.running == 0:
        break
    time.sleep(0.01)
else:
    raise SystemExit(f"the task did not end: {pool.stats()}")
pool.shutdown(wait=True)
gc.collect()
print("exited cleanly")
"""


@pytest.mark.parametrize(
    "shape",
    [
        "bound method",
        "widget argument",
        "on_done",
        "progress",
        "failing",
        "coroutine",
        "timeout",
        "on_item",
    ],
)
def test_closing_the_window_mid_task_exits_cleanly(
    shape: str, run_script: Callable[..., str]
) -> None:
    assert run_script(SCRIPT, 60, shape).strip() == "exited cleanly"
