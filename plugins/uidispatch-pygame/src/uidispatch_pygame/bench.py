"""``python -m uidispatch_pygame.bench [--json] [--quick]``: uidispatch vs ``pygame.event.post``.

The naive primitive is one ``pygame.event.post`` of a custom event per call, each
event carrying the callback, handled in the app's event loop. uidispatch posts one
wake-up event per batch and runs the calls in ``pump()``. Both loops are event-driven
(``pygame.event.wait`` then ``pygame.event.get``), as an app that redraws on demand
is; SDL's dummy video driver, no window painting.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from uidispatch.backendkit.bench import Variant, main

__all__ = ["setup"]


def setup() -> Mapping[str, Variant]:
    """Initialise pygame (dummy drivers) and return the two variants."""
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
    # The naive loop would overflow SDL's 65,535-event queue if the bench outran it: the
    # producer retries a full queue, which is what an app doing this has to do too.

    def naive_post(fn: Callable[[int], object], i: int) -> None:
        while not pygame.event.post(pygame.event.Event(naive_type, fn=fn, i=i)):
            pass

    def ours_post(fn: Callable[[int], object], i: int) -> None:
        d.call_soon(fn, i)

    def run_until(predicate: Callable[[], bool], timeout: float) -> None:
        import time

        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline:
            first = pygame.event.wait(10)
            for event in [first, *pygame.event.get()]:
                if event.type == naive_type:
                    event.fn(event.i)
            backend.pump()

    return {
        "uidispatch": Variant("ours", ours_post, run_until),
        "pygame.event.post": Variant("naive", naive_post, run_until),
    }


if __name__ == "__main__":
    sys.exit(main("pygame", setup))
