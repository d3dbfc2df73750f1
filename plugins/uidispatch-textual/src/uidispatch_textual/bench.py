"""``python -m uidispatch_textual.bench [--json] [--quick]``: uidispatch vs ``call_from_thread``.

The naive primitive is ``App.call_from_thread(fn, i)`` per call: it schedules a
coroutine on the app's loop and blocks the worker until the app ran it. uidispatch
queues the call and wakes the loop once per batch (``call_soon_threadsafe``). The app
is a headless Textual app (``App.run_test()``) whose loop the benchmark runs. The UI
timer (``freeze_ms``) is a 10 ms ``loop.call_later`` chain; idle wake-ups are returns
from the loop's ``select`` per second with nothing posted (the idle app's own timers
included, the same for both variants).
"""

from __future__ import annotations

import asyncio
import atexit
import selectors
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from uidispatch.backendkit.bench import Variant, main

__all__ = ["setup"]


def setup() -> Mapping[str, Variant]:
    """Start a headless Textual app on a loop of our own; return the two variants."""
    from textual.app import App

    import uidispatch

    selector = _CountingSelector()
    loop = asyncio.SelectorEventLoop(selector)
    app: Any = App()
    started = loop.create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        async with app.run_test(headless=True):
            started.set_result(None)
            await stop.wait()  # the app runs for the whole benchmark

    holder = loop.create_task(hold())
    loop.run_until_complete(started)

    def shut_down() -> None:
        stop.set()
        loop.run_until_complete(holder)
        loop.close()

    atexit.register(shut_down)
    d = uidispatch.get_dispatcher("textual", app=app)

    def ours_post(fn: Callable[[int], object], i: int) -> None:
        d.call_soon(fn, i)

    def naive_post(fn: Callable[[int], object], i: int) -> None:
        app.call_from_thread(fn, i)

    def run_until(predicate: Callable[[], bool], timeout: float) -> None:
        async def wait() -> None:
            deadline = loop.time() + timeout
            while not predicate() and loop.time() < deadline:
                await asyncio.sleep(0.001)

        loop.run_until_complete(wait())

    def every(seconds: float, tick: Callable[[], object]) -> Callable[[], None]:
        handle: list[asyncio.TimerHandle] = []

        def fire() -> None:
            tick()
            handle[0] = loop.call_later(seconds, fire)

        handle.append(loop.call_later(seconds, fire))
        return lambda: handle[0].cancel()

    def idle_wakeups(seconds: float) -> float:
        loop.run_until_complete(asyncio.sleep(0))  # settle: run what is ready now
        before = selector.wakeups
        start = time.perf_counter()
        loop.run_until_complete(asyncio.sleep(seconds))
        # Less the wake-up of the sleep's own timer.
        return max(0, selector.wakeups - before - 1) / (time.perf_counter() - start)

    return {
        "uidispatch": Variant("ours", ours_post, run_until, every, idle_wakeups),
        "App.call_from_thread": Variant("naive", naive_post, run_until, every, idle_wakeups),
    }


class _CountingSelector(selectors.DefaultSelector):
    """Counts the loop's wake-ups: every return from ``select`` is one."""

    wakeups = 0

    def select(self, timeout: float | None = None) -> Any:
        events = super().select(timeout)
        self.wakeups += 1
        return events


if __name__ == "__main__":
    sys.exit(main("textual", setup))
