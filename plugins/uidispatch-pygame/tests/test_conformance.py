"""The backend conformance suite on pygame: in the app's frame loop and in a blocking one."""

from __future__ import annotations

from uidispatch_pygame import run_blocking_loop

import uidispatch as ud
from uidispatch.testing.conformance import BackendConformance


class TestPygameConformance(BackendConformance):
    backend = "pygame"
    # set_timer counts whole milliseconds and pump() runs once per frame.
    timer_tolerance = 0.001
    # Apps that redraw on demand block in pygame.event.wait(): only a real wake-up runs there.
    blocking_loop = run_blocking_loop

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object | None:
        import pygame

        sprite = pygame.sprite.Sprite()
        group = pygame.sprite.Group(sprite)
        assert dispatcher.backend.is_alive(sprite)  # seen in a group
        sprite.kill()
        assert not group
        return sprite

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        import pygame

        pygame.quit()
        return True
