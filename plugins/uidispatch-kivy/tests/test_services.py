"""Workflow services on Kivy's real Clock: circuit breaker changes land on the Kivy thread."""

from __future__ import annotations

import threading

import uidispatch as ud
from uidispatch.testing import wait_until

WAIT = 10.0


def _down() -> None:
    raise OSError("service down")


def test_breaker_changes_reach_the_kivy_thread(dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=dispatcher)
    br = ud.CircuitBreaker(max_failures=1, window=60.0, reset_after=0.05)
    seen: list[tuple[str, int]] = []
    br.on_change(lambda state: seen.append((state, threading.get_ident())), dispatcher=dispatcher)
    errors: list[BaseException] = []
    pool.submit(_down, breaker=br, on_error=errors.append)
    wait_until(dispatcher, lambda: len(seen) >= 2, timeout=WAIT, what="open, then half_open")
    probe = pool.submit(abs, -1, breaker=br)
    wait_until(dispatcher, lambda: len(seen) >= 3, timeout=WAIT, what="closed after the probe")
    assert probe.result(0) == 1
    assert [state for state, _ in seen] == ["open", "half_open", "closed"]
    assert {ident for _, ident in seen} == {threading.get_ident()}
    assert isinstance(errors[0], OSError)
    assert pool.shutdown(timeout=WAIT)
