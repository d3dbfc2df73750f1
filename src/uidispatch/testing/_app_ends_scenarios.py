"""The scenarios and endings :mod:`uidispatch.testing.app_ends` crosses.

Per public entry point taking an app's callable, the code that starts work holding the
app's objects (:data:`SCENARIOS`), or why a library thread never holds it
(:data:`NOT_HELD`); and every way an app ends (:data:`ENDINGS`). Import them from
``app_ends``.
"""

from __future__ import annotations

__all__ = ["ENDINGS", "NOT_HELD", "SCENARIOS"]

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
        "pump_until(started.is_set)"
    ),
    "aio.Run.on_done(callback)": (
        "import asyncio\n"
        "from uidispatch import aio\n"
        "async def main():\n"
        "    await asyncio.get_running_loop().run_in_executor(None, blocked)\n"
        "aio.start(main).on_done(app.show)\n"
        "pump_until(started.is_set)"
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
        "pump_until(started.is_set)"
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
        "pump_until(started.is_set)"
    ),
}
"""Per entry point, the code that starts work holding the app's objects.

It runs with ``app``, ``pool`` (a :class:`~uidispatch.Pool` bound to the app's dispatcher,
or to none when the app never asked for one) and ``d`` (the dispatcher) in scope, and the
script's helpers: ``blocked``, ``failing``, ``progressing``, ``items`` (work that blocks
until the app has ended), ``call_from_worker(fn, *args)`` (calls ``fn`` from a worker
then), ``pump_until(until)`` (runs the app's loop until the work started, where the
scenario runs before it) and ``COMMAND`` (a short subprocess that prints a line).
"""

ENDINGS: dict[str, str] = {
    "window closed": "the app closes its window mid-task and lets go of it",
    "never asked": "the app never asks for a dispatcher (ud.submit and Pool() alone)",
    "loop ended": "the main loop returns with the window still there, then it is let go",
    "exit in flight": "the interpreter exits while the work still runs",
    "timers": "the library's threads end on their own timers after the app has gone",
}
"""How an app ends, by name, with what each means."""
