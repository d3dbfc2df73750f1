"""uidispatch-pygame: the ``pygame`` backend for uidispatch, for apps that own their loop.

Registered under the ``uidispatch`` entry-point group. Importing this module never
imports pygame: ``detect`` reads ``sys.modules``, and pygame is imported when a backend
is created.

The app gives the backend its turns: call :func:`pump` (or ``dispatcher.backend.pump()``)
once per frame, after handling events::

    d = uidispatch.get_dispatcher("pygame")       # after pygame.init() and set_mode()
    while running:
        for event in pygame.event.get():
            ...
        uidispatch_pygame.pump()                   # worker results run here
        clock.tick(60)

A loop that blocks in ``pygame.event.wait()`` wakes up for posts and timers too (one
custom event per batch) and calls ``pump()`` after each event.

Under ``uidispatch.aio.run_app`` the backend runs the loop (``backend.run_main_loop()``:
it blocks in ``pygame.event.wait()`` and pumps): a ``pygame.QUIT`` is the close request
that cancels ``main``, and the app's coroutines read their other events with
``backend.events()`` instead of ``pygame.event.get()``.

Detection: a frame loop calling ``pump()`` scores ``RUNNING`` (the flag it sets, no frame
inspection); pygame's display initialised scores ``APP``; pygame imported ``IMPORTED``;
importable ``INSTALLED``. A dispatcher binds to the ``pygame`` module while its display
is initialised; after ``pygame.quit()`` the next ``get_dispatcher()`` binds a fresh one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from uidispatch.backendkit import detect_toolkit
from uidispatch.hookspecs import BackendSpec, hookimpl

if TYPE_CHECKING:
    from ._backend import PygameBackend

__all__ = [
    "PygameBackend",
    "create",
    "current_app",
    "detect",
    "pump",
    "run_blocking_loop",
    "run_loop",
    "uidispatch_backends",
    "uidispatch_doctor_lines",
]

__version__ = "0.1.0"


def _loop_runs() -> bool:
    # Set by the backend's own turn, pump(): a frame loop pumps every frame, so a pump
    # within the last second means the loop runs. No frame inspection.
    backend = sys.modules.get("uidispatch_pygame._backend")
    return backend is not None and time.monotonic() - backend.last_pump[0] < 1.0


def _display_up() -> bool:
    pygame = sys.modules["pygame"]
    return bool(pygame.display.get_init())


def detect() -> int:
    """Score pygame: RUNNING while a loop pumps, APP with a display, IMPORTED, INSTALLED.

    Any thread; never imports pygame and never raises.
    """
    return detect_toolkit("pygame", running=_loop_runs, app=_display_up)


def current_app() -> object | None:
    """The ``pygame`` module while its display is initialised, else ``None``. Any thread."""
    pygame = sys.modules.get("pygame")
    if pygame is None or not pygame.display.get_init():
        return None
    return pygame


def create(app: object | None = None) -> PygameBackend:
    """Build a :class:`PygameBackend` on the calling thread (the frame loop's thread).

    Raises:
        ImportError: pygame is not installed (``pip install pygame``).
        TypeError: ``app`` is neither ``None`` nor the ``pygame`` module.
        RuntimeError: ``pygame.init()`` was not called.

    """
    try:
        import pygame
    except ImportError as exc:
        raise ImportError(f"the pygame backend needs pygame ({exc}); pip install pygame") from exc
    if app is not None and app is not pygame:
        raise TypeError(
            f"app must be None or the pygame module for the pygame backend, got {app!r}"
        )
    from ._backend import PygameBackend

    return PygameBackend()


def pump() -> bool:
    """Give the default pygame dispatcher its turn; call once per frame. Main thread.

    Equivalent to ``uidispatch.get_dispatcher("pygame").backend.pump()``. True if anything
    ran.
    """
    import uidispatch

    backend: Any = uidispatch.get_dispatcher("pygame").backend
    return bool(backend.pump())


def run_loop(backend: Any, until: Callable[[], object], timeout: float) -> None:
    """The frame loop a pygame app runs: events, ``pump()``, ``Clock.tick(60)``. Main thread.

    Runs until ``until()`` holds or ``timeout`` seconds passed (checked every frame).
    """
    import pygame

    clock = pygame.time.Clock()
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        if pygame.display.get_init():
            pygame.event.get()  # an app handles its events here
        backend.pump()
        clock.tick(60)


def run_blocking_loop(backend: Any, until: Callable[[], object], timeout: float) -> None:
    """The loop of an app that redraws on demand: block in ``pygame.event.wait()``. Main thread.

    It sleeps until an event arrives and calls ``pump()`` only then, as such an app does:
    so only a real wake-up (the backend's event for a post, its timer's event) runs
    posts and timers. ``until`` is checked every 5 ms (the wait's timeout), without
    pumping. Runs until ``until()`` holds or ``timeout`` seconds passed.
    """
    import pygame

    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        if not pygame.display.get_init():
            return  # the app is gone: no event will ever arrive
        if pygame.event.wait(5).type != pygame.NOEVENT:
            pygame.event.get()  # an app handles this event and the ones queued behind it
            backend.pump()


@hookimpl
def uidispatch_backends() -> list[BackendSpec]:
    """The ``pygame`` backend."""
    return [
        BackendSpec(
            name="pygame",
            create=create,
            detect=detect,
            current_app=current_app,
            requires=("pygame",),
            distribution="uidispatch-pygame",
            description="pygame: one wake-up event per batch, drained by pump() each frame",
            run_loop=run_loop,
        )
    ]


@hookimpl
def uidispatch_doctor_lines() -> Sequence[str]:
    """The pygame and SDL versions and the SDL video driver."""
    driver = os.environ.get("SDL_VIDEODRIVER")
    lines = [f"pygame: SDL_VIDEODRIVER={driver if driver is not None else '(unset)'}"]
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # keep doctor's stdout clean
    try:
        import pygame.version
    except ImportError:
        return [*lines, "pygame: not installed (pip install pygame)"]
    sdl = ".".join(str(p) for p in pygame.version.SDL)
    return [*lines, f"pygame: pygame {pygame.version.ver}, SDL {sdl}"]


def __getattr__(name: str) -> Any:
    # PygameBackend is importable from here without importing pygame at plugin load.
    if name == "PygameBackend":
        from ._backend import PygameBackend

        return PygameBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
