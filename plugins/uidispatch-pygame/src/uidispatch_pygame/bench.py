"""``python -m uidispatch_pygame.bench [--json] [--quick]``: uidispatch vs ``pygame.event.post``.

The naive primitive is one ``pygame.event.post`` of a custom event per call, each
event carrying the callback, handled in the app's event loop. uidispatch posts one
wake-up event per batch and runs the calls in ``pump()``. Each is measured in both
kinds of loop a pygame app runs, against the naive primitive in the same kind:

- ``frame``: a game's loop, ``pygame.event.get()``, ``pump()``, ``Clock.tick(60)``;
- ``wait``: an app that redraws on demand blocks in ``pygame.event.wait()``, then
  handles what is queued and calls ``pump()``.

The UI timer (``freeze_ms``) is ``pygame.time.set_timer`` at 10 ms, its events handled
in the loop like any other; idle wake-ups are the events the idle loop received per
second (a frame loop still runs its 60 frames a second whatever is posted). SDL's dummy
video driver, no window painting.

The guest-mode async rows (``--families aio``, the default) run ``uidispatch.aio``'s
asyncio and trio guests (trio where installed) in the loop ``aio.run_app`` runs, the
``wait`` loop (``pygame.event.wait()``, the app's events, ``pump()``), against asyncio
in a worker thread that posts each widget update as a custom event with
``pygame.event.post``, handled by the same loop, and awaits it (``call_soon_threadsafe``
back). The widget update is what a pygame app does for a label: ``Font.render`` the new
text into the surface its frame blits. A frame loop is not measured here: it gives the
guest one step per frame, as it gives any posted call.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from uidispatch._tools._bench_aio import Toolkit
from uidispatch._tools._bench_variants import Ours
from uidispatch._tools._bench_workloads import Fn, Post, Tick
from uidispatch._tools._bench_workloads import Variant as LoopVariant
from uidispatch.backendkit.bench import Sizes, Variant, main

__all__ = ["FULL", "aio_toolkit", "setup"]

FULL = Sizes(calls=200_000)
"""A frame loop runs the calls once per frame: 200,000 of them span a dozen frames or more."""


def setup() -> Mapping[str, Variant]:
    """Initialise pygame (dummy drivers) and return the variants, two per loop kind."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    import uidispatch

    pygame.init()
    pygame.display.set_mode((64, 64))
    d = uidispatch.get_dispatcher("pygame")
    backend: Any = d.backend
    naive_type = pygame.event.custom_type()
    tick_type = pygame.event.custom_type()
    ticks: list[Callable[[], object]] = []
    get, wait, noevent = pygame.event.get, pygame.event.wait, pygame.NOEVENT

    # The naive loop would overflow SDL's 65,535-event queue if the bench outran it: the
    # producer retries a full queue, which is what an app doing this has to do too.
    def naive_post(fn: Callable[[int], object], i: int) -> None:
        event = pygame.event.Event(naive_type, fn=fn, i=i)
        while True:
            try:
                if pygame.event.post(event):
                    return
            except pygame.error:  # "Event queue is full"
                pass

    def ours_post(fn: Callable[[int], object], i: int) -> None:
        d.call_soon(fn, i)

    def handle(events: list[Any]) -> int:
        for event in events:
            if event.type == naive_type:
                event.fn(event.i)
            elif event.type == tick_type and ticks:
                ticks[0]()
        return len(events)

    def frame_loop(predicate: Callable[[], bool], timeout: float) -> None:
        clock = pygame.time.Clock()
        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline:
            handle(get())
            backend.pump()
            clock.tick(60)

    def wait_loop(predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline:
            first = wait(10)  # the timeout only lets the bench recheck its predicate
            if first.type != noevent:
                handle([first, *get()])
                backend.pump()

    def every(seconds: float, tick: Callable[[], object]) -> Callable[[], None]:
        ticks[:] = [tick]
        pygame.time.set_timer(tick_type, round(seconds * 1000))

        def stop() -> None:
            pygame.time.set_timer(tick_type, 0)
            ticks.clear()
            get(tick_type)  # a tick queued before the stop is not the next run's

        return stop

    def frame_wakeups(seconds: float) -> float:
        clock = pygame.time.Clock()
        handle(get())
        backend.pump()
        events = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            events += handle(get())
            backend.pump()
            clock.tick(60)
        return events / (time.perf_counter() - start)

    def wait_wakeups(seconds: float) -> float:
        handle(get())
        backend.pump()
        wakeups = 0
        start = time.perf_counter()
        while (left := seconds - (time.perf_counter() - start)) > 0:
            if wait(max(1, round(left * 1000))).type != noevent:
                wakeups += 1
                handle(get())
                backend.pump()
        return wakeups / (time.perf_counter() - start)

    loops = {"frame": (frame_loop, frame_wakeups), "wait": (wait_loop, wait_wakeups)}
    variants: dict[str, Variant] = {}
    for loop, (run, wakeups) in loops.items():
        for name, kind, post in (
            ("uidispatch", "ours", ours_post),
            ("pygame.event.post", "naive", naive_post),
        ):
            variants[f"{name} ({loop} loop)"] = Variant(
                kind, post, run, timer=every, idle_wakeups=wakeups, loop=loop
            )
    return variants


# ------------------------------------------------------------------ guest-mode async rows


def _init() -> Any:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    pygame.init()
    return pygame


def _full_queue_retry(pygame: Any, event: Any) -> None:
    # As in setup(): a full SDL queue makes the post fail; an app has to retry.
    while True:
        try:
            if pygame.event.post(event):
                return
        except pygame.error:  # "Event queue is full"
            pass


class _WaitLoop(LoopVariant):
    """A display and the ``wait`` loop; the UI timer is ``set_timer`` at 10 ms."""

    def open(self) -> None:
        pygame = self.pygame = _init()
        self.screen = pygame.display.set_mode((200, 60))
        self.font = pygame.font.Font(None, 24)
        self.naive_type = pygame.event.custom_type()
        self.tick_type = pygame.event.custom_type()

    def close(self) -> None:
        self.pygame.quit()

    def pump(self) -> None:
        """The backend's turn, once per pass of the loop (none without uidispatch)."""

    def poster(self) -> Post:
        pygame, event, naive_type = self.pygame, self.pygame.event.Event, self.naive_type

        def post(fn: Fn, arg: Any) -> None:
            _full_queue_retry(pygame, event(naive_type, fn=fn, arg=arg))

        return post

    def run_main(self, done: threading.Event, tick: Tick | None) -> None:
        pygame = self.pygame
        wait, get, pump = pygame.event.wait, pygame.event.get, self.pump
        naive_type, tick_type = self.naive_type, self.tick_type
        if tick is not None:
            pygame.time.set_timer(tick_type, 10)
        while not done.is_set():
            for event in [wait(), *get()]:
                if event.type == naive_type:
                    event.fn(event.arg)
                elif event.type == tick_type and tick is not None:
                    tick()
            pump()

    def finisher(self, done: threading.Event) -> Fn:
        def finished(_: object) -> None:
            done.set()
            self.pygame.time.set_timer(self.tick_type, 0)  # no stray tick: not idle activity

        return finished


class _Uidispatch(Ours, _WaitLoop):
    def open(self) -> None:
        super().open()
        import uidispatch

        self.dispatcher = uidispatch.get_dispatcher("pygame")
        self.pump = self.dispatcher.backend.pump  # type: ignore[method-assign]


def _label(variant: LoopVariant) -> Callable[[str], object]:
    v: Any = variant
    render, shown = v.font.render, {}

    def set_text(text: str) -> None:
        shown["label"] = render(text, True, (255, 255, 255))  # the surface the frame blits

    set_text("-")
    return set_text


def aio_toolkit() -> Toolkit:
    """The pygame part of the guest-mode rows (``uidispatch._tools._bench_aio``)."""
    return Toolkit(_Uidispatch, _WaitLoop, _label)


if __name__ == "__main__":
    sys.exit(main("pygame", setup, sizes=FULL, aio=aio_toolkit))
