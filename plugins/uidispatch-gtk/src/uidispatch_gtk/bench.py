"""``python -m uidispatch_gtk.bench [--json] [--quick]``: uidispatch vs ``GLib.idle_add``.

The naive primitive is one ``GLib.idle_add(fn, i)`` source per call from the worker;
uidispatch adds one idle source per batch. Both run in the GLib main context's own
iterations (what ``Gtk.main()`` and ``GLib.MainLoop.run()`` do), with GTK 3 loaded. The
UI timer (``freeze_ms``) is a 10 ms ``GLib.timeout_add``; idle wake-ups are returns from
``MainContext.iteration(True)`` per second with nothing posted.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping

from uidispatch.backendkit.bench import Variant, main

__all__ = ["setup"]


def setup() -> Mapping[str, Variant]:
    """Load GLib and return the two variants (no window: GLib's loop is the subject)."""
    from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

    import uidispatch

    d = uidispatch.get_dispatcher("gtk")
    context = GLib.MainContext.default()

    def ours_post(fn: Callable[[int], object], i: int) -> None:
        d.call_soon(fn, i)

    def naive_post(fn: Callable[[int], object], i: int) -> None:
        GLib.idle_add(fn, i)  # fn returns None: the source runs once

    def run_until(predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        beat = GLib.timeout_add(50, lambda: True)  # a blocked iteration still rechecks
        try:
            while not predicate() and time.monotonic() < deadline:
                context.iteration(True)
        finally:
            GLib.source_remove(beat)

    def every(seconds: float, tick: Callable[[], object]) -> Callable[[], None]:
        source = GLib.timeout_add(round(seconds * 1000), lambda: tick() or True)
        return lambda: GLib.source_remove(source)

    def idle_wakeups(seconds: float) -> float:
        while context.iteration(False):
            pass  # settle: what is pending now is not idle activity
        stopped = [False]
        GLib.timeout_add(round(seconds * 1000), lambda: stopped.__setitem__(0, True))
        count = 0
        start = time.perf_counter()
        while not stopped[0]:
            context.iteration(True)
            count += 1
        return (count - 1) / (time.perf_counter() - start)  # less the stop timer's own

    return {
        "uidispatch": Variant("ours", ours_post, run_until, every, idle_wakeups),
        "GLib.idle_add": Variant("naive", naive_post, run_until, every, idle_wakeups),
    }


if __name__ == "__main__":
    sys.exit(main("gtk", setup))
