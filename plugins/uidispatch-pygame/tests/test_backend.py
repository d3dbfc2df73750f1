"""The pygame backend used as apps use it: a frame loop, a blocking event loop, quitting."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uidispatch_pygame

import uidispatch as ud
from uidispatch.hookspecs import Detection

pygame = pytest.importorskip("pygame")


@pytest.fixture
def app() -> Iterator[Any]:
    """pygame initialised with a (dummy-driver) window; quit afterwards."""
    pygame.init()
    pygame.display.set_mode((64, 64))
    yield pygame
    pygame.quit()


@pytest.fixture
def d(app: Any) -> Iterator[ud.Dispatcher]:
    dispatcher = ud.get_dispatcher("pygame")
    yield dispatcher
    dispatcher.close()


def wait_for(event_type: int, timeout: float = 5.0) -> Any:
    """An app's blocking loop: ``pygame.event.wait()`` until an event of ``event_type``."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        event = pygame.event.wait(max(1, int(left * 1000)))
        if event.type == event_type:
            return event
    raise AssertionError(f"no event of type {event_type} within {timeout} s")


def test_create_before_pygame_init_fails_with_the_way_out() -> None:
    pygame.quit()
    with pytest.raises(RuntimeError, match=r"needs pygame.init\(\) first"):
        uidispatch_pygame.create(None)


def test_create_rejects_an_app_that_is_not_pygame(app: Any) -> None:
    with pytest.raises(TypeError, match=r"app must be None or the pygame module.*got 42"):
        uidispatch_pygame.create(42)


def test_a_frame_loop_runs_a_workers_calls_in_order_on_its_thread(d: ud.Dispatcher) -> None:
    out: list[tuple[int, int]] = []

    def work() -> None:
        for i in range(5_000):
            d.call_soon(lambda i=i: out.append((i, threading.get_ident())))

    worker = threading.Thread(target=work)
    worker.start()
    clock = pygame.time.Clock()
    deadline = time.monotonic() + 10
    while len(out) < 5_000 and time.monotonic() < deadline:  # the app's own loop
        pygame.event.get()
        uidispatch_pygame.pump()
        clock.tick(120)
    worker.join()
    assert [i for i, _ in out] == list(range(5_000))
    assert {t for _, t in out} == {threading.get_ident()}


def test_a_loop_blocked_in_event_wait_wakes_for_a_post_and_for_a_timer(d: ud.Dispatcher) -> None:
    backend: Any = d.backend
    out: list[str] = []
    threading.Timer(0.05, lambda: d.call_soon(out.append, "posted")).start()
    pygame.event.clear()
    wait_for(backend.wake_event)  # without the wake-up event this waits 5 s, then fails
    backend.pump()
    assert out == ["posted"]
    start = time.monotonic()
    d.call_later(0.03, out.append, "timer")
    wait_for(backend.timer_event)
    backend.pump()
    assert out == ["posted", "timer"]
    assert time.monotonic() - start >= 0.03


def test_many_timers_share_one_pygame_timer_and_never_fire_early(d: ud.Dispatcher) -> None:
    backend: Any = d.backend
    fired: list[tuple[float, float]] = []
    start = time.monotonic()
    for delay in (0.08, 0.01, 0.05, 0.0, 0.03, 0.05):
        backend.call_later(delay, lambda delay=delay: fired.append((delay, time.monotonic())))
    deadline = start + 5
    while len(fired) < 6 and time.monotonic() < deadline:
        pygame.event.wait(100)
        backend.pump()
    assert [delay for delay, _ in fired] == [0.0, 0.01, 0.03, 0.05, 0.05, 0.08]
    assert all(at - start >= delay for delay, at in fired)


def test_a_flood_that_overflows_pygames_event_queue_loses_nothing(d: ud.Dispatcher) -> None:
    # The naive way, one pygame.event.post per result, fails once SDL's queue is full.
    kind = pygame.event.custom_type()
    failed = 0
    for i in range(70_000):
        try:
            if not pygame.event.post(pygame.event.Event(kind, i=i)):
                failed += 1
        except pygame.error:
            failed += 1
    pygame.event.clear()
    assert failed > 0, "SDL's event queue took 70,000 events: the premise no longer holds"
    out: list[int] = []
    worker = threading.Thread(target=lambda: [d.call_soon(out.append, i) for i in range(70_000)])
    worker.start()
    worker.join()
    d.run_until(lambda: len(out) == 70_000, 20)
    assert out == list(range(70_000))


def test_pygame_quit_closes_the_dispatcher_and_releases_a_waiting_worker(
    d: ud.Dispatcher,
) -> None:
    raised: list[BaseException] = []

    def ask() -> None:
        try:
            d.call(lambda: None, timeout=30)
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=ask)
    worker.start()
    deadline = time.monotonic() + 10
    while d.stats().pending < 1:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    pygame.quit()
    worker.join(10)
    assert d.closed
    assert len(raised) == 1
    assert isinstance(raised[0], ud.DispatcherClosed)


def test_a_sprite_not_in_a_group_yet_is_alive_and_dead_once_killed(d: ud.Dispatcher) -> None:
    backend = d.backend
    sprite = pygame.sprite.Sprite()
    assert backend.is_alive(sprite)  # built by a callback, not added yet
    group = pygame.sprite.Group(sprite)
    assert backend.is_alive(sprite)
    sprite.kill()
    assert not backend.is_alive(sprite)
    out: list[str] = []
    d.call_soon(out.append, "skipped", owner=sprite)
    d.call_soon(out.append, "ran", owner=group)
    d.run_until(lambda: out, 5)
    assert out == ["ran"]


def test_detection_without_frame_tricks(app: Any) -> None:
    assert uidispatch_pygame.detect() == Detection.APP  # a display, no loop pumping yet
    d = ud.get_dispatcher()  # auto-detected
    assert d.backend.name == "pygame"
    uidispatch_pygame.run_loop(d.backend, lambda: False, 0.05)
    assert uidispatch_pygame.detect() == Detection.RUNNING
    d.close()
    pygame.quit()
    assert uidispatch_pygame.detect() < Detection.APP


def test_close_from_a_worker_while_it_posts_is_safe(d: ud.Dispatcher) -> None:
    stop = threading.Event()
    errors: list[BaseException] = []

    def flood() -> None:
        try:
            while not stop.is_set():
                d.backend.post(lambda: None)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=flood)
    worker.start()
    closer = threading.Thread(target=d.backend.close)
    closer.start()
    closer.join(10)
    stop.set()
    worker.join(10)
    assert not errors
    assert d.backend.pump() is False  # closed: a no-op


def test_doctor_lines_name_the_video_driver_and_versions() -> None:
    lines = uidispatch_pygame.uidispatch_doctor_lines()
    assert lines[0] == "pygame: SDL_VIDEODRIVER=dummy"
    assert lines[1].startswith(f"pygame: pygame {pygame.version.ver}, SDL ")
