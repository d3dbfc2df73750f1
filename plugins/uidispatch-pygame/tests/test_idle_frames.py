"""An idle frame loop costs no toolkit timer calls: one pending timer is armed once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import uidispatch as ud


@pytest.fixture
def pygame_dispatcher() -> Iterator[ud.Dispatcher]:
    import pygame

    pygame.init()
    pygame.display.set_mode((64, 64))
    d = ud.get_dispatcher("pygame")
    try:
        yield d
    finally:
        d.close()
        pygame.quit()


def test_sixty_idle_frames_with_a_10_s_timer_pending_call_set_timer_once(
    pygame_dispatcher: ud.Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pygame

    calls: list[tuple[Any, ...]] = []
    real = pygame.time.set_timer

    def set_timer(*args: Any) -> None:
        calls.append(args)
        real(*args)

    monkeypatch.setattr(pygame.time, "set_timer", set_timer)
    backend: Any = pygame_dispatcher.backend
    backend.call_later(10.0, lambda: None)
    assert len(calls) == 1  # armed once
    for _ in range(60):  # what a 60 fps loop does in one idle second (no need to wait)
        pygame.event.get()
        backend.pump()
    assert len(calls) == 1, f"{len(calls) - 1} set_timer calls in 60 idle frames: {calls[1:6]}"
