"""Deliberately broken copies of the pygame backend: one mistake backend authors make, each.

Each twin is the real ``PygameBackend`` with one part written the way it goes wrong in
practice; ``test_conformance_twins.py`` proves the conformance suite fails each one, with
a message naming the contract clause it broke. Never use these outside that test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from uidispatch_pygame import PygameBackend

from uidispatch.backendkit import KitTimer, PostQueue


class NeverDrainsInItsLoop(PygameBackend):
    """Drains only from ``process_events()``: the app's own loop (``pump()``) runs nothing."""

    def pump(self) -> bool:
        return self._timers.run_due() > 0

    def process_events(self, timeout: float) -> None:
        self._posts.drain()
        super().process_events(timeout)


class BlocksInPost(PygameBackend):
    """``post()`` from a worker waits until the main thread ran it (Tk's ``after`` does)."""

    def post(self, fn: Callable[[], object]) -> None:
        if self.is_main_thread():
            super().post(fn)
            return
        done = threading.Event()

        def run() -> None:
            try:
                fn()
            finally:
                done.set()

        super().post(run)
        done.wait(30)


class _DrainUntilEmpty(PostQueue):
    def drain(self) -> bool:
        ran = False
        while super().drain():  # what was posted meanwhile runs in this same turn
            ran = True
        return ran


class DrainsUntilEmpty(PygameBackend):
    """Its drain loops until the queue is empty: a re-post runs in the same turn."""

    def __init__(self) -> None:
        super().__init__()
        self._posts = _DrainUntilEmpty(self._posts._wake)


class DrainsOnAHelperThread(PygameBackend):
    """Its wake-up drains the queue on a helper thread instead of waking the main loop."""

    def __init__(self) -> None:
        super().__init__()
        self._posts = PostQueue(
            lambda: threading.Thread(target=self._drain_soon, daemon=True).start()
        )

    def _drain_soon(self) -> None:
        time.sleep(0.001)  # after post() released the queue's lock
        self._posts.drain()


class IgnoresTheAppsEnd(PygameBackend):
    """Never tells the core that ``pygame.quit()`` ended the app."""

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        pass


class FiresTimersEarly(PygameBackend):
    """Arms every timer 8 ms short of its delay."""

    def call_later(self, delay: float, fn: Callable[[], object]) -> KitTimer:
        return self._timers.call_later(max(0.0, delay - 0.008), fn)


class _LosesWakeups(PostQueue):
    def drain(self) -> bool:
        # The flag is cleared after the run, not before, and what is left gets no wake-up:
        # a post made while the drain ran saw "a wake-up is in flight" and made none.
        with self._lock:
            n = len(self._queue)
        for _ in range(n):
            self._queue.popleft()()
        with self._lock:
            self._scheduled = False
        return n > 0


class LosesAWakeupDuringADrain(PygameBackend):
    """A post made while a drain runs gets no wake-up: a blocked loop never runs it."""

    def __init__(self) -> None:
        super().__init__()
        self._posts = _LosesWakeups(self._posts._wake)


class WakeDoesNothing(PygameBackend):
    """``wake()`` posts no event: only a loop that pumps every frame runs the posts."""

    def __init__(self) -> None:
        super().__init__()
        self._posts = PostQueue(self._ready.set)  # process_events still notices


class FiresTimersAfterClose(PygameBackend):
    """``close()`` leaves the timers armed, and ``pump()`` keeps running them."""

    def pump(self) -> bool:
        ran = self._posts.drain()
        return self._timers.run_due() > 0 or ran

    def close(self) -> None:
        self._closed = True
        self._posts.close()


class TouchesTimersFromWorkers(PygameBackend):
    """``close()`` from any thread closes the timer heap (``set_timer`` on a worker)."""

    def close(self) -> None:
        super().close()
        self._timers.close()


TWINS = {
    "never drains inside its real loop": NeverDrainsInItsLoop,
    "blocks the worker in post()": BlocksInPost,
    "drains until empty": DrainsUntilEmpty,
    "drains on a helper thread": DrainsOnAHelperThread,
    "ignores the app's end": IgnoresTheAppsEnd,
    "fires timers 8 ms early": FiresTimersEarly,
    "loses a wake-up posted while a drain runs": LosesAWakeupDuringADrain,
    "has a wake() that does nothing": WakeDoesNothing,
    "keeps firing timers after close()": FiresTimersAfterClose,
    "touches main-thread-only state from workers": TouchesTimersFromWorkers,
}
