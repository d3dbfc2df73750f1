"""The pygame side of ``AppWindow``: ``QUIT`` requests, closing, and a main loop of our own.

pygame has no main loop and no close handler: the user's close request is a
``pygame.QUIT`` event in the queue the app's own loop reads. So the close request can
reach a handler only while :meth:`PygameWindow.run_main_loop` reads that queue, which it
does for ``aio.run_app``: it blocks in ``pygame.event.wait()`` (no idle wake-ups: posts
and timers arrive as events), gives the backend its turn after every batch of events,
and sends a ``QUIT`` to the handler, which may veto it. The app's own events (keys,
mouse, a ``QUIT`` with no handler set) are kept, in order, for the app's coroutines:
they read them with :meth:`PygameWindow.events` (``backend.events()``) instead of
``pygame.event.get()``, whose queue the loop has already emptied.

Closing the window is ``pygame.display.quit()``; pygame itself stays initialised (the
app's own ``pygame.quit()`` afterwards ends it, and closes the dispatcher).
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uidispatch.backendkit import CloseRequests

if TYPE_CHECKING:
    from ._backend import PygameBackend

__all__ = ["KEPT_EVENTS", "PygameWindow", "window_of"]

KEPT_EVENTS = 65_535
"""The most events kept for the app, oldest dropped first: SDL's own queue's size."""


class PygameWindow:
    """Close requests, closing and the main loop of one backend's display. Main thread only."""

    def __init__(self, backend: PygameBackend) -> None:
        import pygame

        self._pygame: Any = pygame
        self._backend = weakref.ref(backend)
        self.requests = CloseRequests()
        self._events: deque[Any] = deque(maxlen=KEPT_EVENTS)

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send the ``QUIT`` events :meth:`run_main_loop` reads to ``fn`` (None: to the app)."""
        self.requests.set(fn)

    def close_app(self) -> None:
        """Close the display (``run_main_loop`` returns); nothing when it is closed."""
        if self._pygame.display.get_init():
            self._pygame.display.quit()

    def events(self) -> list[Any]:
        """The app's events :meth:`run_main_loop` read since the last call, oldest first."""
        out = list(self._events)
        self._events.clear()
        return out

    def run_main_loop(self) -> None:
        """Wait for events and give the backend its turns until the display is closed.

        Returns at once when the display is not open. A ``QUIT`` goes to the handler
        :meth:`on_close_requested` set; granted, the display closes and the loop returns.
        """
        pygame = self._pygame
        display, wait, get, quit_type = (
            pygame.display,
            pygame.event.wait,
            pygame.event.get,
            pygame.QUIT,
        )
        backend = self._backend()
        if backend is None:
            return
        ours = (backend.wake_event, backend.timer_event)
        keep = self._events.append
        backend.pump()  # posted while no loop ran: their wake-up may have found no display
        while display.get_init() and not backend._closed:
            batch = [wait()]
            if display.get_init():
                batch += get()
            for event in batch:
                if event.type in ours:
                    continue
                if event.type == quit_type and self.requests.fn is not None:
                    if self.requests.ask():
                        self.close_app()
                    continue
                keep(event)
            backend.pump()


def window_of(backend: Any) -> PygameWindow:
    """The backend's :class:`PygameWindow`, made on first use."""
    window: PygameWindow | None = backend.__dict__.get("_window")
    if window is None:
        window = backend._window = PygameWindow(backend)
    return window
