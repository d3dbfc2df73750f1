"""``python -m uidispatch_textual.bench [--json] [--quick]``: uidispatch vs ``call_from_thread``.

The naive primitive is ``App.call_from_thread(fn, i)`` per call: it schedules a
coroutine on the app's loop and blocks the worker until the app ran it. uidispatch
queues the call and wakes the loop once per batch (``call_soon_threadsafe``). The app
is a headless Textual app (``App.run_test()``) whose loop the benchmark runs.
"""

from __future__ import annotations

import asyncio
import atexit
import sys
from collections.abc import Callable, Mapping
from typing import Any

from uidispatch.backendkit.bench import Variant, main

__all__ = ["setup"]


def setup() -> Mapping[str, Variant]:
    """Start a headless Textual app on a loop of our own; return the two variants."""
    from textual.app import App

    import uidispatch

    loop = asyncio.new_event_loop()
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

    return {
        "uidispatch": Variant("ours", ours_post, run_until),
        "App.call_from_thread": Variant("naive", naive_post, run_until),
    }


if __name__ == "__main__":
    sys.exit(main("textual", setup))
