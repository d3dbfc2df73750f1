"""Kivy resources released at close(): no callback, argument or dispatcher kept."""

from __future__ import annotations

import time
from typing import Any

import uidispatch as ud
from uidispatch.testing.resources import check_close_releases


def test_close_releases_every_callback_argument_owner_and_the_dispatcher(backend: Any) -> None:
    from kivy.clock import Clock

    check_close_releases(lambda: ud.Dispatcher(backend), Clock.tick)


def test_a_timer_never_fires_before_its_delay_on_the_real_clock(backend: Any) -> None:
    from kivy.clock import Clock

    d = ud.Dispatcher(backend)
    try:
        fired: list[float] = []
        t0 = time.monotonic()
        d.call_later(0.12, lambda: fired.append(time.monotonic() - t0))
        deadline = time.monotonic() + 10
        while not fired and time.monotonic() < deadline:
            Clock.tick()
            time.sleep(0.005)
        assert fired
        assert fired[0] >= 0.12
    finally:
        d.close()
