"""The conformance suite fails each broken twin of the pygame backend, naming its clause.

``_twins.py`` holds one deliberately broken copy of ``PygameBackend`` per mistake backend
authors make. Each runs the suite's check that must catch it, in the real loops (the
frame loop of ``run_loop`` and the blocking ``run_blocking_loop``), and the check must
fail within 30 s with a message naming the contract clause. The real backend passes the
same checks (``test_conformance.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from _twins import TWINS
from test_conformance import TestPygameConformance as _PygameSuite

import uidispatch as ud
from uidispatch.testing._counting import use_loop_runner

# twin -> (the check that catches it, words of the clause its message must name)
CAUGHT_BY = {
    "never drains inside its real loop": (
        "test_posts_and_timers_run_inside_the_toolkits_own_loop",
        "must run inside the loop an app runs",
    ),
    "blocks the worker in post()": (
        "test_post_from_a_worker_never_waits_for_the_main_thread",
        "post() must never wait for the main thread",
    ),
    "drains until empty": (
        "test_a_callback_reposting_itself_lets_timers_run",
        "must wait for a later turn of the loop",
    ),
    "drains on a helper thread": (
        "test_a_post_from_a_worker_wakes_the_idle_loop",
        "not the main thread",
    ),
    "ignores the app's end": (
        "test_app_going_away_closes_the_dispatcher",
        "the app was gone but the dispatcher stayed open",
    ),
    "fires timers 8 ms early": (
        "test_timers_are_never_early_whatever_the_loops_pace",
        "a timer may be late, never early",
    ),
    "loses a wake-up posted while a drain runs": (
        "test_a_post_made_while_a_drain_runs_is_never_lost",
        "the wake-up was lost",
    ),
    "has a wake() that does nothing": (
        "test_a_post_from_a_worker_wakes_the_idle_loop",
        "the wake-up was not real",
    ),
    "keeps firing timers after close()": (
        "test_nothing_runs_after_close_from_a_worker",
        "ran after close()",
    ),
    "touches main-thread-only state from workers": (
        "test_main_thread_only_calls_stay_on_the_main_thread",
        "main-thread-only state touched from a worker",
    ),
}


@pytest.fixture
def pygame_up() -> Iterator[None]:
    import pygame

    pygame.init()
    pygame.display.set_mode((64, 64))
    try:
        yield
    finally:
        pygame.quit()


class _ImpatientSuite(_PygameSuite):  # type: ignore[misc]
    # A twin fails by timing out: a short wait keeps this file quick (a real wake-up
    # takes well under a millisecond; the real backend passes with the defaults).
    patience = 1.0
    wake_timeout = 0.5


def run_check(twin: str, check: str) -> tuple[str | None, float]:
    """Run one check of the suite on a twin in its real loop: (failure message, seconds)."""
    backend = TWINS[twin]()
    d = ud.Dispatcher(backend)
    info = ud.backends()["pygame"]
    start = time.monotonic()
    try:
        with use_loop_runner(info.run_loop, backend):
            getattr(_ImpatientSuite(), check)(d)
    except (AssertionError, pytest.fail.Exception) as exc:
        return str(exc), time.monotonic() - start
    finally:
        d.close()
    return None, time.monotonic() - start


def test_every_twin_has_its_check() -> None:
    assert set(CAUGHT_BY) == set(TWINS)


@pytest.mark.usefixtures("pygame_up")
@pytest.mark.parametrize("twin", sorted(TWINS))
def test_the_suite_fails_the_twin_naming_its_clause(twin: str) -> None:
    check, clause = CAUGHT_BY[twin]
    message, took = run_check(twin, check)
    assert message is not None, f"{check} passed a backend that {twin}"
    assert clause in message, message
    assert took < 30, f"{check} took {took:.1f} s to fail a backend that {twin}"
