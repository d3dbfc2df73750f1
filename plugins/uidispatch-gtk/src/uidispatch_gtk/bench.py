"""``python -m uidispatch_gtk.bench [--json] [--quick]``: uidispatch vs ``GLib.idle_add``.

The naive primitive is one ``GLib.idle_add(fn, i)`` source per call from the worker;
uidispatch adds one idle source per batch. Both run in the GLib main context's own
iterations (what ``Gtk.main()`` and ``GLib.MainLoop.run()`` do), with GTK 3 loaded. The
UI timer (``freeze_ms``) is a 10 ms ``GLib.timeout_add``; idle wake-ups are returns from
``MainContext.iteration(True)`` per second with nothing posted.

The guest-mode async rows (``--families aio``, the default) run ``uidispatch.aio``'s
asyncio and trio guests (trio where installed) in ``gtk_main()`` with a shown window,
against asyncio in a worker thread that hands each widget update to the UI thread with
``GLib.idle_add`` and awaits it (``call_soon_threadsafe`` back). The widget update is
``Gtk.Label.set_text``; each row runs in a fresh process, on a real display (Xvfb when
``DISPLAY`` is unset). Both run GTK's own ``gtk_main()``, the loop ``aio.run_app`` runs,
not PyGObject's ``Gtk.main()`` override: that one saves and restores the signal wakeup
fd around the loop, and restores trio's, closed once its run ended inside the loop.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from uidispatch._tools._bench_aio import Toolkit
from uidispatch._tools._bench_variants import Ours
from uidispatch._tools._bench_workloads import Fn, Post, Tick
from uidispatch._tools._bench_workloads import Variant as LoopVariant
from uidispatch.backendkit.bench import Variant, main

__all__ = ["aio_toolkit", "setup"]


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


# ------------------------------------------------------------------ guest-mode async rows


def _gtk() -> Any:
    import gi  # type: ignore[import-untyped,import-not-found,unused-ignore]

    gi.require_version("Gtk", "3.0")
    from gi.repository import Gtk  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return Gtk


class _GtkLoop(LoopVariant):
    """A shown window and ``Gtk.main()``, ended by ``Gtk.main_quit``; a 10 ms UI timer."""

    def open(self) -> None:
        from uidispatch.testing import ensure_display

        ensure_display()
        gtk = self.gtk = _gtk()
        self.window = gtk.Window(title="uidispatch bench")
        self.box = gtk.Box(orientation=gtk.Orientation.VERTICAL)
        self.window.add(self.box)
        self.window.show_all()
        while gtk.events_pending():
            gtk.main_iteration_do(False)
        self._tick: int | None = None

    def close(self) -> None:
        self.window.destroy()

    def poster(self) -> Post:
        from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        idle_add = GLib.idle_add

        def post(fn: Fn, arg: Any) -> None:
            idle_add(fn, arg)  # fn returns None: the source runs once

        return post

    def run_main(self, done: threading.Event, tick: Tick | None) -> None:
        from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        if tick is not None:
            self._tick = GLib.timeout_add(10, lambda: tick() or True)
        from gi.module import get_introspection_module  # type: ignore[import-untyped,import-not-found,unused-ignore]

        get_introspection_module("Gtk").main()  # GTK's own: see the module's docstring

    def finisher(self, done: threading.Event) -> Fn:
        from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        def finished(_: object) -> None:
            done.set()
            if self._tick is not None:  # a stray tick would count as an idle wake-up
                GLib.source_remove(self._tick)
                self._tick = None
            self.gtk.main_quit()

        return finished


class _Uidispatch(Ours, _GtkLoop):
    def open(self) -> None:
        super().open()
        import uidispatch

        self.dispatcher = uidispatch.get_dispatcher("gtk")


def _label(variant: LoopVariant) -> Callable[[str], object]:
    v: Any = variant
    label = v.gtk.Label(label="-")
    v.box.pack_start(label, False, False, 0)
    label.show()
    return label.set_text  # type: ignore[no-any-return]


def aio_toolkit() -> Toolkit:
    """The GTK part of the guest-mode rows; a display for their processes (Xvfb if unset)."""
    from uidispatch.testing import ensure_display

    ensure_display()  # here, so that every row's process inherits one display
    return Toolkit(_Uidispatch, _GtkLoop, _label)


if __name__ == "__main__":
    sys.exit(main("gtk", setup, aio=aio_toolkit))
