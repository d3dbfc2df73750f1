"""Real Kivy ``App`` scenarios, each run in a fresh process by ``test_app.py``.

``python _app_scenarios.py NAME`` runs one scenario under the display in ``DISPLAY`` and
prints one JSON object on its last line of stdout. A fresh process per scenario because
Kivy has one window, one event loop and one running App per process.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from typing import Any

from uidispatch_kivy import detect

import uidispatch as ud

result: dict[str, Any] = {"detect_before_import": int(detect())}

from kivy.clock import Clock  # noqa: E402

result["detect_clock_imported"] = int(detect())

from kivy.app import App  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.boxlayout import BoxLayout  # noqa: E402
from kivy.uix.label import Label  # noqa: E402


def _give_up(why: str) -> None:
    print(json.dumps({"skip": why}))
    sys.exit(0)


if Window is None:
    _give_up("Kivy could not create a window (no usable GL context on this display)")


class _ScenarioApp(App):  # type: ignore[misc]
    """An App that runs ``scenario(app)`` once its loop runs, and stops on a deadline."""

    def __init__(self, scenario: Any) -> None:
        super().__init__()
        self.scenario = scenario
        self.label = Label(text="uidispatch")

    def build(self) -> Any:
        root = BoxLayout()
        root.add_widget(self.label)
        return root

    def on_start(self) -> None:
        result["detect_on_start"] = int(detect())
        Clock.schedule_once(lambda dt: self.scenario(self), 0)
        Clock.schedule_once(lambda dt: self._deadline(), 20)

    def _deadline(self) -> None:
        result["error"] = "the scenario did not stop the App within 20 s"
        self.stop()


def marshal(app: _ScenarioApp) -> None:
    """Several workers post ordered calls; frames are painted between drains; owners die."""
    result["detect_running"] = int(detect())
    d = ud.get_dispatcher()  # auto-detected: Kivy's loop runs
    d.configure(budget=0.002)  # a small budget spreads the flood over many painted frames
    result["backend"] = d.backend.name
    result["bound_to_app"] = getattr(d.backend, "app", None) is app
    result["app_alive_while_running"] = d.backend.is_alive(app)
    main = threading.get_ident()
    producers, per = 3, 20_000
    ran: list[tuple[int, int]] = []
    threads: set[int] = set()
    flips: list[tuple[float, int, int]] = []
    # Ask for a repaint every frame, so every frame flips and can be counted.
    redraw = Clock.schedule_interval(lambda dt: app.label.canvas.ask_update(), 0)

    def on_flip(*_: object) -> None:
        flips.append((time.perf_counter(), d.stats().drains, len(ran)))

    Window.bind(on_flip=on_flip)

    def record(worker: int, i: int) -> None:
        threads.add(threading.get_ident())
        ran.append((worker, i))

    def produce(worker: int) -> None:
        for i in range(per):
            d.call_soon(record, worker, i)

    workers = [threading.Thread(target=produce, args=(w,)) for w in range(producers)]
    for w in workers:
        w.start()

    def check(dt: float) -> bool:
        if len(ran) < producers * per:
            return True
        for w in workers:
            w.join(5)
        Window.unbind(on_flip=on_flip)
        redraw.cancel()
        result["ran"] = len(ran)
        result["in_order"] = all(
            [i for w, i in ran if w == worker] == list(range(per)) for worker in range(producers)
        )
        result["on_main_thread"] = threads == {main}
        pairs = list(itertools.pairwise(flips))
        result["painted_frames"] = len(flips)
        result["max_drains_between_paints"] = max((b[1] - a[1] for a, b in pairs), default=0)
        result["max_callbacks_between_paints"] = max((b[2] - a[2] for a, b in pairs), default=0)
        result["max_paint_interval_ms"] = max((b[0] - a[0] for a, b in pairs), default=0) * 1000
        owners(app, d)
        return False

    Clock.schedule_interval(check, 0)


def owners(app: _ScenarioApp, d: ud.Dispatcher) -> None:
    """A call owned by a label removed from the window is skipped."""
    seen: list[str] = []
    d.call_soon(seen.append, "shown", owner=app.label)

    def remove(dt: float) -> None:
        app.label.parent.remove_widget(app.label)
        d.call_soon(seen.append, "removed", owner=app.label)
        d.call_soon(seen.append, "unowned")

    def finish(dt: float) -> bool:
        if "unowned" not in seen:
            return True
        result["owner_calls"] = seen
        app.stop()
        return False

    Clock.schedule_once(remove, 0.1)
    Clock.schedule_interval(finish, 0)


def stop_waiting(app: _ScenarioApp) -> None:
    """The App stops while a worker waits in ``call()``: the worker gets DispatcherClosed."""
    d = ud.get_dispatcher()
    result["dispatcher"] = d
    outcome: list[str] = []
    result["outcome"] = outcome

    def wait_on_ui() -> None:
        try:
            outcome.append(repr(d.call(lambda: "ran")))
        except ud.DispatcherClosed:
            outcome.append("DispatcherClosed")

    worker = threading.Thread(target=wait_on_ui)
    result["worker"] = worker
    worker.start()
    deadline = time.monotonic() + 5
    # No frame runs while this callback holds the Kivy thread: the call stays pending.
    while d.stats().pending == 0 and time.monotonic() < deadline:
        time.sleep(0.001)
    result["pending_at_stop"] = d.stats().pending
    app.stop()


def embedded() -> None:
    """Kivy's loop started embedded (as Kivy's own tests do): ``run_until`` runs whole frames."""
    from kivy.base import EventLoop, runTouchApp, stopTouchApp

    label = Label(text="embedded")
    runTouchApp(label, embedded=True)
    try:
        d = ud.get_dispatcher("kivy")
        flips: list[int] = []
        Window.bind(on_flip=lambda *_: flips.append(1))
        label.canvas.ask_update()
        ran: list[int] = []
        worker = threading.Thread(target=lambda: [d.call_soon(ran.append, i) for i in range(100)])
        worker.start()
        result["run_until"] = d.run_until(lambda: len(ran) == 100, 10)
        worker.join(5)
        result["painted_while_pumping"] = len(flips)
        result["loop_status"] = EventLoop.status
    finally:
        stopTouchApp()
    result["closed_after_stop"] = d.closed


def main(name: str) -> None:
    """Run scenario ``name`` and print its result as JSON."""
    if name == "embedded":
        embedded()
        print(json.dumps(result))
        return
    app = _ScenarioApp({"marshal": marshal, "stop_waiting": stop_waiting}[name])
    result["detect_app_created"] = int(detect())
    app.run()
    result["detect_after_stop"] = int(detect())
    if name == "stop_waiting":
        d = result.pop("dispatcher")
        worker = result.pop("worker")
        worker.join(10)
        result["worker_released"] = not worker.is_alive()
        result["closed_after_stop"] = d.closed
        result["app_alive_after_stop"] = d.backend.is_alive(app)
        fresh = ud.get_dispatcher("kivy")
        result["fresh_dispatcher_after_stop"] = fresh is not d and not fresh.closed
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
