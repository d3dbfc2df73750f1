"""Workflow features on Kivy's real Clock: on_busy bound to a widget, streamed items."""

from __future__ import annotations

import threading

import uidispatch as ud

WAIT = 10.0


def test_a_widget_is_disabled_while_a_task_runs(dispatcher: ud.Dispatcher) -> None:
    from kivy.uix.widget import Widget

    pool = ud.Pool(max_workers=2, dispatcher=dispatcher)
    button = Widget()
    seen: list[bool] = []

    def show(busy: bool) -> None:
        assert threading.current_thread() is threading.main_thread()
        seen.append(busy)
        button.disabled = busy

    pool.on_busy(show, owner=button)
    assert seen == [False]
    gate = threading.Event()
    done: list[int] = []
    pool.submit(gate.wait, WAIT, on_done=lambda _: done.append(1))
    assert dispatcher.run_until(lambda: button.disabled, WAIT)
    gate.set()
    assert dispatcher.run_until(lambda: not button.disabled, WAIT)
    assert done == [1]
    assert seen == [False, True, False]
    pool.shutdown(wait=True)


def test_every_emitted_item_arrives_in_order_on_the_clock(dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=2, dispatcher=dispatcher)
    images: list[int] = []
    done: list[str] = []

    def generate() -> str:
        for step in range(500):
            ud.emit(step)
        return "finished"

    pool.submit(generate, on_item=images.append, on_done=done.append, max_buffered=20)
    assert dispatcher.run_until(lambda: done, WAIT)
    assert images == list(range(500))
    pool.shutdown(wait=True)


def test_an_operation_disables_its_widget_while_it_runs_and_restarts_across_handlers(
    dispatcher: ud.Dispatcher,
) -> None:
    from kivy.uix.widget import Widget

    pool = ud.Pool(max_workers=2, dispatcher=dispatcher)
    button = Widget()
    gates = {"a": threading.Event(), "ab": threading.Event()}
    started = threading.Event()
    seen: list[bool] = []
    shown: list[str] = []

    @pool.operation(if_running="restart")
    def search(text: str) -> str:
        started.set()
        while not gates[text].wait(0.01):
            ud.check_cancelled()
        return text.upper()

    def show_busy(busy: bool) -> None:
        assert threading.current_thread() is threading.main_thread()
        seen.append(busy)
        button.disabled = busy

    def on_text(text: str) -> None:  # one event handler...
        search.submit(text, on_done=shown.append)

    def on_press(text: str) -> None:  # ... and another, with the same policy
        search.submit(text, on_done=shown.append)

    search.on_busy(show_busy, owner=button)
    on_text("a")
    assert dispatcher.run_until(lambda: button.disabled, WAIT)
    assert started.wait(WAIT)
    first = search.last
    on_press("ab")  # restarts the search with the newer text
    assert first is not None
    assert first.cancelled()
    gates["ab"].set()
    assert dispatcher.run_until(lambda: not button.disabled, WAIT)
    assert shown == ["AB"]  # on_done ran before the widget was enabled again
    assert seen == [False, True, False]
    assert search.count == 2
    pool.shutdown(wait=True)
