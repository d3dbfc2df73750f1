"""The backend conformance suite on pygame, inside the app's frame loop (``run_loop``)."""

from __future__ import annotations

import uidispatch as ud
from uidispatch.testing.conformance import BackendConformance


class TestPygameConformance(BackendConformance):
    backend = "pygame"
    # set_timer counts whole milliseconds and pump() runs once per frame.
    timer_tolerance = 0.001

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
