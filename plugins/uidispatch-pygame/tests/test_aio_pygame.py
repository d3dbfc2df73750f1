"""uidispatch.aio on pygame: run_app and every way a run ends, asyncio and trio.

Every ending runs in one child process (the shared ``aio_endings`` suite), one display
per case; a close request is a ``pygame.QUIT`` event posted as SDL posts the window
manager's, the app ending its window is ``pygame.quit()``, and Ctrl-C a real SIGINT. The
in-process tests drive ``run_main_loop`` with posted ``QUIT`` events.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import uidispatch as ud
from uidispatch import aio
from uidispatch.backendkit import AppWindow
from uidispatch.testing import ErrorCollector, aio_endings

pygame = pytest.importorskip("pygame")

SDL_ENV = {
    "SDL_VIDEODRIVER": "dummy",
    "SDL_AUDIODRIVER": "dummy",
    "PYGAME_HIDE_SUPPORT_PROMPT": "1",
}

PYGAME_WINDOW = """
import pygame
import uidispatch


class Window(EndingWindow):
    def __init__(self):
        pygame.init()
        self.screen = pygame.display.set_mode((120, 40))

    def set_text(self, text):
        self.screen.fill((len(text) * 40 % 256, 0, 0))
        pygame.display.flip()

    def request_close(self):
        pygame.event.post(pygame.event.Event(pygame.QUIT))  # what SDL posts for the button

    def destroy(self):
        pygame.quit()  # how a pygame app ends its window

    def alive(self):
        return pygame.display.get_init()

    def later(self, ms, fn):
        uidispatch.get_dispatcher("pygame").call_later(ms / 1000, fn)
"""


@pytest.fixture(scope="module")
def endings_report() -> aio_endings.EndingsReport:
    return aio_endings.run_endings(PYGAME_WINDOW, env=SDL_ENV)


@pytest.mark.parametrize("lib", aio_endings.LIBS)
@pytest.mark.parametrize("ending", aio_endings.ENDINGS)
def test_run_app_ends_as_main_ended(
    endings_report: aio_endings.EndingsReport, lib: str, ending: str
) -> None:
    aio_endings.assert_ended_as_expected(endings_report, lib, ending)


def test_no_run_leaves_a_warning_or_an_error_on_stderr(
    endings_report: aio_endings.EndingsReport,
) -> None:
    aio_endings.assert_quiet_stderr(endings_report)


# ------------------------------------------------------------------ in process


@pytest.fixture
def d() -> Iterator[ud.Dispatcher]:
    pygame.init()
    pygame.display.set_mode((64, 64))
    dispatcher = ud.get_dispatcher("pygame")
    dispatcher.error_handler = ErrorCollector()
    yield dispatcher
    dispatcher.close()
    pygame.quit()


def test_the_backend_has_the_app_window_capability(d: ud.Dispatcher) -> None:
    assert isinstance(d.backend, AppWindow)


def test_a_quit_can_be_vetoed_and_reaches_the_handler_on_the_main_thread(
    d: ud.Dispatcher,
) -> None:
    backend: Any = d.backend
    asked: list[int] = []

    def handler() -> bool:
        asked.append(threading.get_ident())
        return len(asked) > 1  # veto the first request, grant the second

    backend.on_close_requested(handler)
    # SDL posts QUIT from wherever it notices the request: here, a worker thread.
    quit_from_a_worker = threading.Thread(
        target=lambda: [pygame.event.post(pygame.event.Event(pygame.QUIT)) for _ in range(2)]
    )
    quit_from_a_worker.start()
    quit_from_a_worker.join()
    backend.run_main_loop()  # returns once the second request closed the display
    assert asked == [threading.get_ident()] * 2
    assert not pygame.display.get_init()
    # a request that went to the handler is not the app's
    assert [e for e in backend.events() if e.type == pygame.QUIT] == []


def test_without_a_handler_a_quit_is_one_of_the_apps_events(d: ud.Dispatcher) -> None:
    backend: Any = d.backend
    backend.on_close_requested(lambda: False)
    backend.on_close_requested(None)  # pygame's own behaviour: QUIT is the app's to handle
    mine = pygame.event.custom_type()
    pygame.event.post(pygame.event.Event(mine, n=1))
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    d.call_later(0.02, backend.close_app)
    backend.run_main_loop()
    assert [
        (e.type, getattr(e, "n", None)) for e in backend.events() if e.type in (mine, pygame.QUIT)
    ] == [
        (mine, 1),
        (pygame.QUIT, None),
    ]
    assert backend.events() == []  # each event is handed over once


def test_the_loop_runs_workers_posts_and_timers_and_close_app_ends_it(d: ud.Dispatcher) -> None:
    backend: Any = d.backend
    ran: list[str] = []
    done = threading.Event()

    def finish() -> None:
        ran.append("timer")
        backend.close_app()
        backend.close_app()  # idempotent

    def work() -> None:
        d.call_soon(ran.append, "worker")
        done.set()

    threading.Thread(target=work).start()
    assert done.wait(5)
    d.call_later(0.02, finish)
    backend.run_main_loop()
    assert ran == ["worker", "timer"]
    backend.run_main_loop()  # the display is closed: returns at once


@pytest.mark.parametrize("lib", aio_endings.LIBS)
def test_run_app_cancels_main_on_a_quit_and_closes_the_display_after(
    d: ud.Dispatcher, lib: str
) -> None:
    steps: list[str] = []
    sleep: Any
    if lib == "trio":
        import trio

        sleep = trio.sleep
    else:
        import asyncio

        sleep = asyncio.sleep

    async def main() -> str:
        try:
            pygame.event.post(pygame.event.Event(pygame.QUIT))
            await sleep(3600)
            return "not cancelled"
        finally:
            steps.append(f"finally, display open: {pygame.display.get_init()}")

    assert aio.run_app(main, lib=lib) is None
    assert steps == ["finally, display open: True"]  # vetoed until main had finished
    assert not pygame.display.get_init()


def test_a_worker_posting_after_close_app_is_not_refused_and_runs_on_the_next_display(
    d: ud.Dispatcher,
) -> None:
    backend: Any = d.backend
    backend.close_app()
    errors: list[BaseException] = []
    ran: list[str] = []

    def work() -> None:
        try:
            d.call_soon(ran.append, "posted with the display closed")
        except BaseException as exc:  # the test fails on it below, not in the thread
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert errors == []  # SDL's queue is gone with the display: no wake-up, no error
    pygame.display.set_mode((64, 64))
    d.call_later(0.02, backend.close_app)
    backend.run_main_loop()  # its first turn runs what waited
    assert ran == ["posted with the display closed"]
