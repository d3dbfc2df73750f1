"""Every public entry point that takes an app's object, against every way an app ends.

A library thread left holding the last reference to a widget frees it on that thread: Tk
aborts the process (``Tcl_AsyncDelete``), Qt warns and may crash. This module generates the
cases that prove it never happens, instead of listing them: :func:`entry_points` walks
``uidispatch.__all__`` and the signatures of its classes and functions, and
:func:`missing_scenarios` names each parameter taking a callable (or each decorator) that
has neither a scenario in :data:`SCENARIOS` nor a reason in :data:`NOT_HELD`, so a new
entry point fails the test until it is covered. :func:`cases` crosses the scenarios with
:data:`ENDINGS`, and :func:`run_case` runs one in a child process that ends with a
collection on a worker thread; the child must exit 0 with nothing on stderr.

A toolkit supplies ``APP`` code (see :data:`TK_APP`): a class ``App`` with ``label`` (a
widget), ``show(*args)`` (touches the label), ``work(*args)`` and ``widget()`` (both block
until released; ``widget`` returns the label), ``d`` (its dispatcher, unless the ending is
``"never asked"``), and a function ``run(app)`` that runs the toolkit's loop until the
ending's ``end(app)`` has ended it.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping

__all__ = [
    "ENDINGS",
    "ENV_SKIP",
    "NOT_HELD",
    "SCENARIOS",
    "TK_APP",
    "assert_ended_cleanly",
    "cases",
    "entry_points",
    "missing_scenarios",
    "run_case",
    "skip_reason",
]

ENV_SKIP = "UIDISPATCH_APP_ENDS"
"""Set to ``skip`` to skip the generated cases (``nox`` runs them in two sessions: Tk on the
newest Python, PySide6 on the oldest)."""


def skip_reason() -> str | None:
    """Why the generated cases skip here, or ``None`` when they run."""
    import os

    if os.environ.get(ENV_SKIP, "").strip().lower() == "skip":
        return f"{ENV_SKIP}=skip: the app-ends cases run on Tk (newest Python), PySide6 (oldest)"
    return None


NOT_HELD: dict[str, str] = {
    "Dispatcher.report_error(callback)": "only named in the error report, on the caller's thread",
    "Dispatcher.run_until(predicate)": "called on the main thread while run_until runs",
    "MainThreadDispatcher.post(fn)": "the backend protocol: the library's own drain",
    "MainThreadDispatcher.call_later(fn)": "the backend protocol: the library's own timers",
    "MainThreadDispatcher.on_app_closed(fn)": "the backend protocol: the dispatcher's close",
    "BusyHandle(callback)": "made by Pool.on_busy (its scenario)",
    "StallWatch(on_stall)": "made by Dispatcher.watch_stalls (its scenario)",
    "aio.run_app(main)": "aio.start's run, then the toolkit's main loop until main has ended",
    "aio.modal(fn)": "called on the main thread, which it returns to with fn's value",
}
"""Parameters that take an app's callable but are never held by a library thread, and why."""

SCENARIOS: dict[str, str] = {
    "Pool.submit(fn)": "pool.submit(app.work)",
    "Pool.submit(args)": "pool.submit(blocked, app.label)",
    "Pool.submit(result)": "pool.submit(app.widget)",
    "Pool.submit(on_done)": "pool.submit(blocked, on_done=app.show)",
    "Pool.submit(on_error)": "pool.submit(failing, on_error=app.show)",
    "Pool.submit(on_progress)": "pool.submit(progressing, on_progress=app.show)",
    "Pool.submit(on_item)": "pool.submit(items, on_item=app.show)",
    "submit(fn)": "ud.submit(app.work, on_done=app.show)",
    "Pool.map(fn)": "pool.map(app.work, [1, 2])",  # concurrent.futures.Executor's
    "Pool.on_busy(callback)": "pool.on_busy(app.show); pool.submit(blocked)",
    "run_command(on_output)": "started.set(); pool.run_command(COMMAND, on_output=app.show)",
    "Task.on_done(callback)": "pool.submit(blocked).on_done(app.show)",
    "Pool.submit(on_start)": "pool.submit(blocked, on_start=lambda a=app: a.show(1))",
    "Pool.submit(on_finish)": "pool.submit(blocked, on_finish=app.show)",
    "Pool.submit(on_warning)": "pool.submit(blocked, on_warning=app.show)",
    "Task.on_start(callback)": "pool.submit(blocked).on_start(lambda a=app: a.show(1))",
    "Task.on_finish(callback)": "pool.submit(blocked).on_finish(app.show)",
    "Task.on_warning(callback)": "pool.submit(blocked).on_warning(app.show)",
    "on_busy(callback)": "ud.on_busy(app.show, dispatcher=d); pool.submit(blocked)",
    "Task.on_error(callback)": "pool.submit(failing).on_error(app.show)",
    "Task.on_progress(callback)": "pool.submit(progressing).on_progress(app.show)",
    # Future's callbacks run on the worker by contract: this one only holds the app.
    "Task.add_done_callback(fn)": "pool.submit(blocked).add_done_callback(lambda f, a=app: a)",
    "gather(on_done)": "ud.gather(pool.submit(blocked), pool.submit(blocked), on_done=app.show)",
    "gather(on_error)": "ud.gather(pool.submit(failing), on_error=app.show)",
    "gather(on_progress)": "ud.gather(pool.submit(blocked), on_progress=app.show)",
    "main_thread(fn)": "pool.submit(call_from_worker, ud.main_thread(app.show))",
    "throttle(fn)": "pool.submit(call_from_worker, ud.throttle(0.05)(app.show))",
    "debounce(fn)": "pool.submit(call_from_worker, ud.debounce(0.05)(app.show))",
    "CircuitBreaker.on_change(callback)": (
        "br = ud.CircuitBreaker(max_failures=1, reset_after=0.3)\n"
        "br.on_change(lambda state: app.show(state))\n"
        "pool.submit(failing, breaker=br, on_error=lambda exc: None)"
    ),
    # An operation on a method: its task holds the instance (and so the app) as it runs.
    "Pool.operation(fn)": (
        "class Panel:\n"
        "    def __init__(self, app):\n"
        "        self.app = app\n"
        "    @pool.operation(if_running='restart')\n"
        "    def load(self, n):\n"
        "        return self.app.work(n)\n"
        "panel = Panel(app)\n"
        "panel.load.on_busy(app.show)\n"
        "panel.load.submit(1, on_done=app.show)"
    ),
    "operation(fn)": (
        "app.search = ud.operation(if_running='restart')(app.work)\n"
        "app.search.on_busy(app.show)\n"
        "app.search.submit(1, on_done=app.show)"
    ),
    # The key is a widget: the pool's table of keys holds it while the task is under way.
    "Pool.operation(key)": (
        "refresh = pool.operation(if_running='drop', key=lambda n, a=app: a.label)(blocked)\n"
        "refresh.submit(1, on_done=app.show)"
    ),
    "operation(key)": (
        "refresh = ud.operation(key=lambda n, a=app: a.label)(blocked)\n"
        "refresh.submit(1, on_done=app.show)"
    ),
    "Dispatcher.call_soon(fn)": "pool.submit(call_from_worker, d.call_soon, app.show)",
    "Dispatcher.call(fn)": "pool.submit(call_from_worker, d.call, app.show)",
    "Dispatcher.call_later(fn)": "d.call_later(0.5, app.show); pool.submit(blocked)",
    "Dispatcher.main_thread(fn)": "pool.submit(call_from_worker, d.main_thread(app.show))",
    "Dispatcher.throttle(fn)": "pool.submit(call_from_worker, d.throttle(0.05)(app.show))",
    "Dispatcher.debounce(fn)": "pool.submit(call_from_worker, d.debounce(0.05)(app.show))",
    "Dispatcher.watch_stalls(on_stall)": "d.watch_stalls(0.2, app.show); pool.submit(blocked)",
    # A guest run's coroutines hold the app while their work runs in the loop's executor
    # (a uidispatch pool) and the loop waits for I/O in its helper thread. A run starts on
    # the app's loop: the scenario pumps it until the work has started.
    "aio.start(main)": (
        "import asyncio\n"
        "from uidispatch import aio\n"
        "async def main(a=app):\n"
        "    await asyncio.get_running_loop().run_in_executor(None, blocked)\n"
        "    a.show(1)\n"
        "aio.start(main)\n"
        "ud.get_dispatcher().run_until(started.is_set, 10)"
    ),
    "aio.Run.on_done(callback)": (
        "import asyncio\n"
        "from uidispatch import aio\n"
        "async def main():\n"
        "    await asyncio.get_running_loop().run_in_executor(None, blocked)\n"
        "aio.start(main).on_done(app.show)\n"
        "ud.get_dispatcher().run_until(started.is_set, 10)"
    ),
    "aio.handler(fn)": (
        "import asyncio\n"
        "from uidispatch import aio\n"
        "async def main():\n"
        "    await asyncio.sleep(3600)\n"
        "aio.start(main)\n"
        "@aio.handler\n"
        "async def on_click(a=app):\n"
        "    await asyncio.get_running_loop().run_in_executor(None, blocked)\n"
        "    a.show(1)\n"
        "on_click()\n"
        "ud.get_dispatcher().run_until(started.is_set, 10)"
    ),
    "aio.Run.spawn(fn)": (
        "import asyncio\n"
        "from uidispatch import aio\n"
        "async def main():\n"
        "    await asyncio.sleep(3600)\n"
        "async def side(a):\n"
        "    await asyncio.get_running_loop().run_in_executor(None, blocked)\n"
        "    a.show(1)\n"
        "aio.start(main).spawn(side, (app,))\n"
        "ud.get_dispatcher().run_until(started.is_set, 10)"
    ),
}
"""Per entry point, the code that starts work holding the app's objects.

It runs with ``app``, ``pool`` (a :class:`~uidispatch.Pool` bound to the app's dispatcher,
or to none when the app never asked for one) and ``d`` (the dispatcher) in scope, and the
script's helpers: ``blocked``, ``failing``, ``progressing``, ``items`` (work that blocks
until the app has ended), ``call_from_worker(fn, *args)`` (calls ``fn`` from a worker
then) and ``COMMAND`` (a short subprocess that prints a line).
"""

ENDINGS: dict[str, str] = {
    "window closed": "the app closes its window mid-task and lets go of it",
    "never asked": "the app never asks for a dispatcher (ud.submit and Pool() alone)",
    "loop ended": "the main loop returns with the window still there, then it is let go",
    "exit in flight": "the interpreter exits while the work still runs",
    "timers": "the library's threads end on their own timers after the app has gone",
}
"""How an app ends, by name, with what each means."""

_SCRIPT = """
import gc, os, sys, threading, time
import uidispatch as ud

SCENARIO, ENDING, CODE = sys.argv[1], sys.argv[2], sys.argv[3]
started, finish = threading.Event(), threading.Event()
COMMAND = [sys.executable, "-c", "import time; print('line', flush=True); time.sleep(0.3)"]


def blocked(*args):
    started.set()
    finish.wait(10)
    return 1


def failing():
    started.set()
    finish.wait(10)
    raise ValueError("failed")


def progressing():
    started.set()
    finish.wait(10)
    ud.report_progress(0.5)


def items():
    started.set()
    finish.wait(10)
    yield from range(3)


def call_from_worker(fn, *args):
    started.set()
    finish.wait(10)
    try:
        fn(*args) if args else fn(1)
    except ud.DispatcherClosed:
        pass  # the app's window closed: what a worker calling into the UI must expect
    except ud.NoBackendDetected:
        pass  # the app never asked for a dispatcher, and its window is gone

{app}

def main():
    app = App()
    d = getattr(app, "d", None)
    options = {{"max_workers": 4, "idle_timeout": 0.5}}
    pool = ud.Pool(**options) if d is None else ud.Pool(**options, dispatcher=d)
    # The scenario runs as the body of an app's function: its lambdas close over the
    # app, and its locals (a breaker made there) go when the function returns.
    body = "".join("    " + line + "\\n" for line in CODE.splitlines())
    scope = {{}}
    exec("def start(app, pool, d):\\n" + body, globals(), scope)
    scope["start"](app, pool, d)
    del scope
    assert started.wait(10), "the work never started"
    run(app)
    return pool


pool = main()  # its frame held the app's last references, on this thread
gc.collect()
finish.set()
if ENDING == "exit in flight":
    raise SystemExit(0)
deadline = time.monotonic() + 20
while time.monotonic() < deadline and (pool.stats().queued or pool.stats().running):
    time.sleep(0.01)
# The app goes on after its window: its main thread calls into the library again, which
# releases what the library's threads handed over (the finished tasks' jobs among them).
try:
    ud.get_dispatcher()
except ud.UIDispatchError:
    pass
if ENDING == "timers":
    # The library's threads go on by themselves: timers fire (a breaker's reset, a
    # call_later, a trailing throttle), idle workers exit; a few seconds at most.
    deadline = time.monotonic() + 3
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
else:
    # With a timeout: a worker may wait in Dispatcher.call() for a loop that has ended.
    pool.shutdown(timeout=5)
    ud.shutdown(5)
collector = threading.Thread(target=gc.collect)
collector.start()
collector.join()
print("exited cleanly")
"""

TK_APP = """
import tkinter


class App:
    def __init__(self):
        self.root = tkinter.Tk()
        self.label = tkinter.Label(self.root)
        self.label.pack()
        if ENDING != "never asked":
            self.d = ud.get_dispatcher("tk", app=self.root)

    def show(self, *args):
        self.label.config(text=str(args)[:20])

    def work(self, *args):
        return blocked()

    def widget(self):
        blocked()
        return self.label


def run(app):
    end = app.root.quit if ENDING == "loop ended" else app.root.destroy
    app.root.after(50, end)
    app.root.mainloop()
"""
"""The ``APP`` code for Tk: a root with a label; the window is destroyed, or the loop quit."""


def entry_points() -> Iterator[str]:
    """Each public parameter taking an app's callable (``"Pool.submit(on_done)"``).

    Found from ``uidispatch.__all__`` and ``uidispatch.aio.__all__``: the parameters of
    every public function, class and method annotated with a ``Callable`` or named ``fn``
    or ``callback``, and every decorator factory (a callable returning
    ``Callable[[Callable...``) as ``"name(fn)"``.
    """
    import uidispatch as ud
    from uidispatch import aio

    public = [(name, getattr(ud, name)) for name in ud.__all__]
    public += [(f"aio.{name}", getattr(aio, name)) for name in aio.__all__]
    for name, obj in public:
        if inspect.isclass(obj):
            members = [(f"{name}.{m}", getattr(obj, m)) for m in dir(obj) if not m.startswith("_")]
            members.append((name, obj))
        elif callable(obj):
            members = [(name, obj)]
        else:
            continue
        for where, fn in members:
            if not callable(fn):
                continue
            try:
                sig = inspect.signature(fn)
            except (TypeError, ValueError):
                continue
            if "Callable[[Callable" in str(sig.return_annotation):
                yield f"{where}(fn)"
            for p in sig.parameters.values():
                if "Callable" in str(p.annotation) or p.name in ("fn", "callback"):
                    yield f"{where}({p.name})"


def missing_scenarios() -> list[str]:
    """The entry points with neither a scenario nor a reason they are never held."""
    return sorted(set(entry_points()) - SCENARIOS.keys() - NOT_HELD.keys())


_NAMES_D = re.compile(r"(?<![\w.])d\.")  # the scenario uses the app's dispatcher ``d``


def cases(
    scenarios: Mapping[str, str] = SCENARIOS, endings: Mapping[str, str] = ENDINGS
) -> Iterator[tuple[str, str, str]]:
    """``(scenario, ending, code)`` for each pair that applies.

    An app that never asked for a dispatcher has none to hand its scenarios: the ones
    that need ``d`` are left out of that ending. So is a worker in ``Dispatcher.call()``
    after the loop returned with the window still there: it waits for that loop, as
    documented (a loop may run again: a modal dialog's, or the app's next ``mainloop()``).
    """
    for scenario, code in scenarios.items():
        for ending in endings:
            if ending == "never asked" and (
                _NAMES_D.search(code) or scenario.startswith("Dispatcher")
            ):
                continue
            if ending == "loop ended" and scenario == "Dispatcher.call(fn)":
                continue
            yield scenario, ending, code


def run_case(
    app: str,
    scenario: str,
    ending: str,
    code: str,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 90,
) -> subprocess.CompletedProcess[str]:
    """Run one case in a child process with the toolkit's ``app`` code; its outcome.

    The caller asserts ``returncode == 0``, an empty ``stderr`` and, unless the ending is
    ``"exit in flight"``, that ``stdout`` is the line ``exited cleanly``.
    """
    import os

    script = _SCRIPT.format(app=app)
    return subprocess.run(
        [sys.executable, "-c", script, scenario, ending, code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
        check=False,
    )


def assert_ended_cleanly(proc: subprocess.CompletedProcess[str], ending: str) -> None:
    """Fail unless the case's child exited 0, said nothing on stderr, and finished."""
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == "", proc.stderr[-3000:]
    if ending != "exit in flight":
        assert proc.stdout == "exited cleanly\n", proc.stdout[-3000:]
