"""The pygame backend: the app owns the loop; ``pump()`` once per frame is the backend's turn.

pygame has no callbacks: the app's own ``while`` loop reads events, updates and draws.
So the backend's turn is :meth:`PygameBackend.pump`, called by that loop once per frame
(after handling events). It runs what workers posted before the turn began, then the
timers that fell due.

Wake-up. ``post`` (a ``backendkit.PostQueue``) posts one custom event of type
``wake_event`` per batch with ``pygame.event.post``, which SDL makes thread-safe
(``SDL_PushEvent`` takes the event queue's lock and never waits for the main thread), so
a loop blocked in ``pygame.event.wait()`` wakes up; a frame loop simply sees the event
and ignores it. The naive pattern, one ``pygame.event.post`` per call, fills SDL's event
queue (65,535 events): past that, posts fail and results are lost.

Timers. pygame's only timer is ``pygame.time.set_timer(event_type, ms)``, one per event
type: a ``backendkit.TimerHeap`` keeps every ``call_later`` on that one timer (of type
``timer_event``), so a loop blocked in ``event.wait()`` wakes for the earliest, and
``pump()`` runs what fell due. Timers never fire early.

Liveness. A ``pygame.sprite.Sprite`` is dead once it left every group after the backend
saw it in one (a sprite not added yet is alive; ``backendkit.AttachedTracker``); the
display surface is dead once the display was closed. App end: ``pygame.quit()`` (through
``pygame.register_quit``) closes the dispatcher.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from uidispatch.backendkit import (
    AppClosedCallbacks,
    AttachedTracker,
    KitTimer,
    PostQueue,
    TimerHeap,
)

from ._close import window_of

__all__ = ["PygameBackend", "event_types", "last_pump"]

_types: tuple[int, int] | None = None
_types_lock = threading.Lock()
last_pump = [-math.inf]
"""``time.monotonic()`` of the last ``pump()``: detection's "a frame loop runs" flag."""


def event_types() -> tuple[int, int]:
    """The (wake, timer) custom event types, allocated once per ``pygame.init()``.

    ``pygame.quit()`` resets pygame's custom-type counter: types kept across it collided
    with the app's own ``custom_type()`` after the next ``init()`` (the app's events read
    as our wake-ups, and ours as its events). So they are forgotten at quit.
    """
    global _types
    import pygame

    with _types_lock:
        if _types is None:
            _types = (pygame.event.custom_type(), pygame.event.custom_type())
            pygame.register_quit(_forget_types)  # pygame calls it once, at the next quit
        return _types


def _forget_types() -> None:
    global _types
    with _types_lock:
        _types = None


class _SetTimer:
    """The one ``pygame.time.set_timer`` the heap arms; ``cancel()`` disarms it."""

    __slots__ = ("_type",)

    def __init__(self, event_type: int, delay: float) -> None:
        import pygame

        self._type = event_type
        # 0 ms would disable the timer: a due timer still needs one event to wake a wait().
        pygame.time.set_timer(event_type, max(1, math.ceil(delay * 1000)), 1)

    def cancel(self) -> None:
        import pygame

        if pygame.get_init():
            pygame.time.set_timer(self._type, 0)


class PygameBackend:
    """A ``MainThreadDispatcher`` for a pygame app; its loop calls :meth:`pump` each frame.

    Its main thread is the thread that creates it (the one that called ``pygame.init()``
    and runs the frame loop). ``pygame.init()`` must have been called.

    Raises:
        RuntimeError: pygame is not initialised (``pygame.init()`` first).

    """

    name = "pygame"

    def __init__(self) -> None:
        import pygame

        if not pygame.get_init():
            raise RuntimeError(
                "the pygame backend needs pygame.init() first (and pygame.display.set_mode() "
                "for a window); call it on the thread that runs the frame loop"
            )
        self._pygame: Any = pygame
        self._thread = threading.get_ident()
        self.wake_event, self.timer_event = event_types()
        wake_type = self.wake_event
        self._ready = threading.Event()

        def wake() -> None:
            self._ready.set()
            # With the display closed there is no event queue and no loop to wake (the
            # post would raise in the worker): the next pump() after set_mode() drains.
            if pygame.display.get_init():
                try:
                    pygame.event.post(pygame.event.Event(wake_type))
                except pygame.error:
                    if pygame.display.get_init():
                        raise  # a full queue: the post stays queued for a later wake-up

        self._posts = PostQueue(wake)
        self._timers = TimerHeap(lambda delay, cb: _SetTimer(self.timer_event, delay))
        self._sprites = AttachedTracker(self._in_a_group)
        self._closed_callbacks = AppClosedCallbacks()
        self._closed = False
        ref = weakref.ref(self)

        def on_quit() -> None:  # pygame keeps it forever: reach the backend weakly
            last_pump[0] = -math.inf  # no frame loop after quit
            backend = ref()
            if backend is not None and not backend._closed:
                backend._closed_callbacks.notify()

        pygame.register_quit(on_quit)

    # ----------------------------------------------------------------- the app's turn

    def pump(self) -> bool:
        """The backend's turn: run what was posted before it, then due timers. Main thread.

        Call it once per frame from the app's loop (after ``pygame.event.get()``). Returns
        True if anything ran. Cheap when idle; does nothing after ``close()``.
        """
        if self._closed:
            return False
        last_pump[0] = time.monotonic()
        self._ready.clear()
        ran = self._posts.drain()
        return self._timers.run_due() > 0 or ran

    # ------------------------------------------------------------------ the protocol

    def is_main_thread(self) -> bool:
        """True on the thread that created the backend. Any thread; after close too."""
        return threading.get_ident() == self._thread

    def post(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` in the app's next ``pump()``. Any thread; never waits.

        After ``close()`` ``fn`` is dropped.
        """
        self._posts.post(fn)

    def call_later(self, delay: float, fn: Callable[[], object]) -> KitTimer:
        """Run ``fn()`` in the first ``pump()`` after ``delay`` seconds. Main thread only."""
        return self._timers.call_later(delay, fn)

    def _in_a_group(self, obj: object) -> bool:
        sprite = getattr(self._pygame, "sprite", None)
        return sprite is not None and isinstance(obj, sprite.Sprite) and bool(obj.alive())

    def is_alive(self, obj: object) -> bool:
        """Whether ``obj`` can still be used. Main thread only.

        A ``Sprite`` is dead once it left every group after the backend saw it in one
        (never seen in a group: alive, it may not be added yet); the display surface is
        dead once the display was closed; anything else is alive.
        """
        pygame = self._pygame
        if isinstance(obj, pygame.sprite.Sprite):
            return self._sprites.is_alive(obj)
        if isinstance(obj, pygame.Surface) and not pygame.display.get_init():
            try:
                obj.get_size()
            except pygame.error:  # the display surface of a closed display
                return False
        return True

    def process_events(self, timeout: float) -> None:
        """Pump pygame's events and :meth:`pump` until something ran or ``timeout`` passed.

        Main thread only; for tests and ``Dispatcher.run_until`` (an app calls ``pump()``
        from its own loop instead). Events are left in pygame's queue for the app.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self._pygame.display.get_init():
                self._pygame.event.pump()  # keep the window responsive
            if self.pump():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed:
                return
            due = self._timers.next_due()
            if due is not None:
                remaining = min(remaining, max(0.0, due - time.monotonic()))
            self._ready.wait(min(remaining, 0.05))

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` once when ``pygame.quit()`` runs. Any thread."""
        self._closed_callbacks.add(fn)

    # The optional AppWindow capability (uidispatch.aio.run_app): see _close.py.

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send the ``pygame.QUIT`` events :meth:`run_main_loop` reads to ``fn``. Main thread.

        ``fn`` returning ``False`` vetoes the request (the display stays open); anything
        else closes the display. ``None``: a ``QUIT`` is one of the app's events again.
        """
        window_of(self).on_close_requested(fn)

    def close_app(self) -> None:
        """Close the display as a granted close request does. Main thread; idempotent."""
        window_of(self).close_app()

    def run_main_loop(self) -> None:
        """Block in ``pygame.event.wait()`` and pump until the display closes. Main thread.

        The loop ``aio.run_app`` runs; the app's coroutines read their events with
        :meth:`events`, since the loop empties pygame's queue.
        """
        window_of(self).run_main_loop()

    def events(self) -> list[Any]:
        """The app's events :meth:`run_main_loop` read since the last call. Main thread.

        Oldest first; at most the latest 65,535 are kept. Under ``aio.run_app`` this is
        the app's ``pygame.event.get()``.
        """
        return window_of(self).events()

    def close(self) -> None:
        """Drop queued posts and pending timers; idempotent. Any thread (timers: main)."""
        if self._closed:
            return
        self._closed = True
        self._posts.close()
        self._ready.set()
        # The heap is main-thread state; from a worker, pump() (now a no-op) never runs it.
        if self.is_main_thread():
            self._timers.close()

    def __repr__(self) -> str:
        return f"<uidispatch_pygame.PygameBackend {'closed' if self._closed else 'open'}>"
