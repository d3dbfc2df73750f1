"""The Kivy backend's primitives on Kivy's real Clock: post, timers, liveness, pumping, close."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from kivy.base import EventLoop
from kivy.clock import Clock
from uidispatch_kivy import KivyBackend, create

import uidispatch as ud


def frame() -> None:
    """One Kivy frame without a window: the Clock's tick, then its before-draw step."""
    Clock.tick()
    Clock.tick_draw()


def test_backend_satisfies_the_main_thread_dispatcher_protocol(backend: KivyBackend) -> None:
    assert isinstance(backend, ud.MainThreadDispatcher)
    assert backend.name == "kivy"
    assert backend.app is None


def test_create_rejects_an_object_that_is_neither_an_app_nor_the_clock() -> None:
    with pytest.raises(TypeError, match=r"app must be a kivy.app.App or kivy.clock.Clock.*'nope'"):
        create("nope")


def test_create_binds_to_the_kivy_clock_when_given_it() -> None:
    b = create(Clock)
    try:
        assert b.app is None
        assert b.is_main_thread()
    finally:
        b.close()


def test_main_thread_is_the_creating_thread(backend: KivyBackend) -> None:
    seen: list[bool] = []
    worker = threading.Thread(target=lambda: seen.append(backend.is_main_thread()))
    worker.start()
    worker.join(5)
    assert backend.is_main_thread()
    assert seen == [False]


def test_a_backend_built_on_a_worker_while_kivys_loop_runs_takes_the_main_thread() -> None:
    built: list[KivyBackend] = []
    EventLoop.start()
    try:
        worker = threading.Thread(target=lambda: built.append(create(None)))
        worker.start()
        worker.join(5)
    finally:
        EventLoop.stop()
    (b,) = built
    try:
        assert b.is_main_thread(), "Kivy's loop runs on the main thread, not the worker"
    finally:
        b.close()


def test_post_from_the_main_thread_runs_in_the_next_frame_not_inline(
    backend: KivyBackend,
) -> None:
    ran: list[int] = []
    backend.post(lambda: ran.append(Clock.frames))
    assert ran == []
    start = Clock.frames
    frame()
    assert ran == [start + 1]


def test_a_post_made_inside_a_posted_call_runs_one_frame_later_after_the_draw_step(
    backend: KivyBackend,
) -> None:
    seen: list[tuple[int, int]] = []

    def again() -> None:
        seen.append((Clock.frames, Clock.frames_displayed))
        if len(seen) < 4:
            backend.post(again)

    backend.post(again)
    for _ in range(4):
        frame()
    frames = [f for f, _ in seen]
    drawn = [d for _, d in seen]
    assert frames == list(range(frames[0], frames[0] + 4)), "one run per frame, never two"
    # Kivy's before-draw step ran between every two runs: the frame was painted in between.
    assert drawn == list(range(drawn[0], drawn[0] + 4))


def test_post_from_a_worker_returns_while_the_kivy_thread_is_blocked(
    backend: KivyBackend,
) -> None:
    ran: list[int] = []
    worker = threading.Thread(
        target=lambda: [backend.post(lambda: ran.append(threading.get_ident())) for _ in range(500)]
    )
    worker.start()
    worker.join(5)  # the Kivy thread is blocked here: a post that waited for it would hang
    assert not worker.is_alive()
    assert ran == []
    backend.process_events(1.0)
    assert ran == [threading.get_ident()] * 500


def test_call_later_never_fires_before_its_delay(backend: KivyBackend) -> None:
    fired: dict[float, float] = {}
    t0 = time.monotonic()
    for delay in (0.0, 0.004, 0.02, 0.05):
        backend.call_later(delay, lambda delay=delay: fired.__setitem__(delay, time.monotonic()))
    deadline = t0 + 5
    while len(fired) < 4 and time.monotonic() < deadline:
        backend.process_events(0.1)
    assert sorted(fired) == [0.0, 0.004, 0.02, 0.05]
    for delay, at in fired.items():
        assert at - t0 >= delay, f"call_later({delay}) fired after {at - t0:.4f} s"
    assert sorted(fired, key=fired.__getitem__) == [0.0, 0.004, 0.02, 0.05]


def test_a_cancelled_timer_never_fires(backend: KivyBackend) -> None:
    fired: list[str] = []
    handle = backend.call_later(0.02, lambda: fired.append("cancelled"))
    backend.call_later(0.06, lambda: fired.append("sentinel"))
    handle.cancel()
    handle.cancel()  # idempotent
    deadline = time.monotonic() + 5
    while "sentinel" not in fired and time.monotonic() < deadline:
        backend.process_events(0.1)
    assert fired == ["sentinel"]


def test_close_cancels_pending_timers_and_drops_posts() -> None:
    b = create(None)
    other = create(None)
    try:
        fired: list[str] = []
        b.call_later(0.01, lambda: fired.append("timer"))
        b.post(lambda: fired.append("post"))
        other.call_later(0.05, lambda: fired.append("sentinel"))
        b.close()
        b.close()  # idempotent
        b.post(lambda: fired.append("after close"))
        deadline = time.monotonic() + 5
        while "sentinel" not in fired and time.monotonic() < deadline:
            other.process_events(0.1)
        assert fired == ["sentinel"]
    finally:
        other.close()


def test_an_idle_backend_keeps_no_event_on_the_clock(backend: KivyBackend) -> None:
    before = len(Clock.get_events())
    ran: list[int] = []
    backend.post(lambda: ran.append(1))
    assert len(Clock.get_events()) == before + 1  # one trigger for the batch
    backend.post(lambda: ran.append(2))
    assert len(Clock.get_events()) == before + 1  # the same trigger, not a second event
    frame()
    assert ran == [1, 2]
    for _ in range(3):
        frame()
        assert len(Clock.get_events()) == before


def test_process_events_returns_once_a_posted_call_ran(backend: KivyBackend) -> None:
    ran: list[int] = []
    backend.post(lambda: ran.append(1))
    t0 = time.monotonic()
    backend.process_events(30.0)
    assert ran == [1]
    assert time.monotonic() - t0 < 20.0, "it waited for the timeout instead of returning"


def test_process_events_with_nothing_posted_runs_frames_until_the_timeout(
    backend: KivyBackend,
) -> None:
    start = Clock.frames
    t0 = time.monotonic()
    backend.process_events(0.25)
    assert time.monotonic() - t0 >= 0.25
    # Paced at maxfps (a 60 Hz frame is ~17 ms): two frames in 250 ms even on a loaded machine.
    assert Clock.frames >= start + 2


def test_process_events_off_the_kivy_thread_raises(backend: KivyBackend) -> None:
    errors: list[BaseException] = []

    def pump() -> None:
        try:
            backend.process_events(0.01)
        except RuntimeError as exc:
            errors.append(exc)

    worker = threading.Thread(target=pump)
    worker.start()
    worker.join(5)
    assert len(errors) == 1
    assert "call it on the Kivy thread" in str(errors[0])


def test_objects_the_backend_does_not_know_are_alive(backend: KivyBackend) -> None:
    assert backend.is_alive(object())
    assert backend.is_alive(Clock)


def test_a_widget_is_dead_once_removed_from_the_window_it_was_seen_in(
    backend: KivyBackend, window: Any
) -> None:
    from kivy.uix.widget import Widget

    never_added = Widget()
    assert backend.is_alive(never_added), "a widget not added yet must stay alive"
    shown = Widget()
    window.add_widget(shown)
    try:
        assert backend.is_alive(shown)
    finally:
        window.remove_widget(shown)
    assert not backend.is_alive(shown)
    child, parent = Widget(), Widget()
    parent.add_widget(child)
    window.add_widget(parent)
    assert backend.is_alive(child)
    parent.remove_widget(child)  # detached from a parent that is still shown
    window.remove_widget(parent)
    assert not backend.is_alive(child)


def test_app_closed_callbacks_run_once_when_the_kivy_event_loop_stops(
    backend: KivyBackend,
) -> None:
    calls: list[str] = []
    backend.on_app_closed(lambda: calls.append("closed"))
    assert EventLoop.status != "started"
    EventLoop.start()
    try:
        assert calls == []
    finally:
        EventLoop.stop()
    assert calls == ["closed"]
    EventLoop.start()
    EventLoop.stop()
    assert calls == ["closed"]


def test_close_from_a_worker_stops_app_closed_callbacks_and_drops_posts() -> None:
    b = create(None)
    calls: list[str] = []
    b.on_app_closed(lambda: calls.append("closed"))
    b.post(lambda: calls.append("posted"))
    worker = threading.Thread(target=b.close)
    worker.start()
    worker.join(5)
    frame()  # the Kivy thread unbinds the on_stop handler here
    EventLoop.start()
    EventLoop.stop()
    assert calls == []
