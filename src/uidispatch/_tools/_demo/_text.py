"""The demo without any window: the same model and self-test on the ``asyncio`` backend.

What a fresh server with no display and no Xvfb shows: the tasks, the debounced search,
both floods, the stall watchdog and the async panel (its guest loop runs inside this
asyncio loop, as it would inside a toolkit's) run for real (worker threads, the
dispatcher's queue, asyncio timers), and each change is printed as it lands on the loop's
thread.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

import uidispatch as ud

from ._model import DemoModel, DemoView, TaskRow
from ._selftest import SelfTest

__all__ = ["TextView", "run_text"]


class TextView(DemoView):
    """Prints what a window would draw (finished tasks, searches, floods, stalls)."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.t0 = time.monotonic()
        self._busy = False

    def _say(self, text: str) -> None:
        self.out.write(f"  [{time.monotonic() - self.t0:5.2f} s] {text}\n")
        self.out.flush()

    def task_added(self, row: TaskRow) -> object:
        self._say(f"task {row.name!r}: submitted ({row.steps} steps)")
        return None

    def task_changed(self, row: TaskRow) -> None:
        if row.finished:
            self._say(f"task {row.name!r}: {row.status}")

    def search_changed(self, status: str, results: tuple[str, ...]) -> None:
        self._say(f"search: {status}")

    def busy_changed(self, text: str) -> None:
        busy = text != "idle"
        if busy != self._busy:  # transitions only, not every turn of the spinner
            self._busy = busy
            self._say("pool: busy" if busy else "pool: idle")

    def flood_changed(self, kind: str, text: str) -> None:
        if " ran" in text and "..." not in text:
            self._say(f"flood {text}")

    def stall_changed(self, stalled: bool, indicator: str, text: str | None) -> None:
        if text is not None:
            self._say(text)

    def aio_changed(self, part: str, text: str) -> None:
        if part == "echo":
            self._say(f"async echo: {text}")
        elif part == "server" or text.endswith("done"):  # the countdown's end, not each tick
            self._say(f"async {text}")


def run_text(limit: float, out: TextIO = sys.stdout) -> int:
    """Run the self-test on a fresh asyncio loop, printing as it goes; the exit status."""

    async def main() -> int:
        d = ud.get_dispatcher("asyncio")
        ud.use(d)
        try:
            out.write(f"uidispatch demo on the asyncio backend (no window), up to {limit:g} s\n")
            view = TextView(out)
            model = DemoModel(d, view)
            model.start()
            finished = asyncio.get_running_loop().create_future()
            test = SelfTest(model, limit, None, on_finished=lambda: finished.set_result(None))
            test.start()
            await finished
            return test.status
        finally:
            ud.use(None)

    return asyncio.run(main())
