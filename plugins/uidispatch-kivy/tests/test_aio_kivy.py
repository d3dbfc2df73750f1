"""uidispatch.aio on a real Kivy App: run_app and every way a run ends, asyncio and trio.

Every ending runs in one child process (``uidispatch.testing.aio_endings``), one App per
case on the process's one Kivy window; the tests below read its report. The close request
is SDL's quit event, what the window's close button sends, pushed into SDL's queue; Ctrl-C
is a real SIGINT sent to the child.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import uidispatch as ud
from uidispatch import aio
from uidispatch.testing import aio_endings, wait_until

LIBS = aio_endings.LIBS
ENDINGS = aio_endings.ENDINGS

KIVY_WINDOW = """
import ctypes
import os

from kivy.app import App
from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.uix.label import Label

SDL_QUIT = 0x100


def push_sdl_quit():
    # SDL's quit event, what the window's close button (the last window's) produces.
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "/libSDL2" in line}
    (path,) = [p for p in paths if os.path.basename(p).startswith(("libSDL2-", "libSDL2."))]
    sdl = ctypes.CDLL(path)
    event = (ctypes.c_uint8 * 56)()  # sizeof(SDL_Event)
    ctypes.c_uint32.from_buffer(event).value = SDL_QUIT
    assert sdl.SDL_PushEvent(ctypes.byref(event)) == 1


class _App(App):
    def __init__(self, label):
        super().__init__()
        self.label = label

    def build(self):
        return self.label

    def load_kv(self, filename=None):
        pass  # no .kv file (Kivy looks for one beside the class's source, and -c has none)


class Window(EndingWindow):
    def __init__(self):
        self.label = Label(text="-")
        self.app = _App(self.label)

    def set_text(self, text):
        self.label.text = text

    def request_close(self):
        push_sdl_quit()

    def destroy(self):
        self.app.stop()  # how a Kivy app ends itself

    def alive(self):
        return App.get_running_app() is self.app and EventLoop.status == "started"

    def later(self, ms, fn):
        Clock.schedule_once(lambda dt: fn(), ms / 1000)
"""
"""One App per case whose root is a label; Kivy's window is the process's one."""


@pytest.fixture(scope="module")
def endings_report(display: str) -> aio_endings.EndingsReport:
    """Every (lib, ending) in one child process, one App per case."""
    # conftest put Kivy's environment in os.environ; MIXED leaves sys.stderr alone (Kivy's
    # own mode would turn the child's stderr into log records and hide what it printed).
    env = {"DISPLAY": display, "KIVY_LOG_MODE": "MIXED"}
    return aio_endings.run_endings(KIVY_WINDOW, env=env)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("ending", ENDINGS)
def test_run_app_ends_as_main_ended(
    endings_report: aio_endings.EndingsReport, lib: str, ending: str
) -> None:
    aio_endings.assert_ended_as_expected(endings_report, lib, ending)


def test_no_run_leaves_a_warning_or_an_error_on_stderr(
    endings_report: aio_endings.EndingsReport,
) -> None:
    aio_endings.assert_quiet_stderr(endings_report)


# ------------------------------------------------------------------ in process


def test_close_request_can_be_vetoed_and_restored(backend: Any, window: Any) -> None:
    """``on_request_close`` returning True is Kivy's veto; ours is asked before the app's."""
    asked: list[dict[str, Any]] = []
    own: list[str] = []

    def apps_own(*_: object, **__: object) -> bool:
        own.append("app's own")
        return True  # the app vetoes too, so no test closes Kivy's window

    uid = window.fbind("on_request_close", apps_own)
    try:
        backend.on_close_requested(lambda: asked.append({}) or False)
        assert window.dispatch("on_request_close") is True  # vetoed
        assert asked == [{}]
        assert own == []  # the app's handler never saw the vetoed request
        backend.on_close_requested(lambda: None)  # None is no veto: the app's handler decides
        window.dispatch("on_request_close", source="keyboard")  # the Escape key's request
        assert asked == [{}]
        assert own == ["app's own"]
        backend.on_close_requested(None)
        window.dispatch("on_request_close")
        assert own == ["app's own", "app's own"]
    finally:
        window.unbind_uid("on_request_close", uid)


def test_a_close_before_the_loop_ends_the_next_loop_at_once(backend: Any, window: Any) -> None:
    """main may finish before the loop starts; the next ``run_main_loop`` returns then."""
    from kivy.base import EventLoop, stopTouchApp
    from kivy.clock import Clock

    loop_ran: list[object] = []
    uid = EventLoop.fbind("on_start", lambda *_: loop_ran.append(1))
    backend.close_app()
    # A broken run_main_loop would run Kivy's loop until the process ends: stop it then.
    safety = Clock.schedule_once(lambda dt: stopTouchApp(), 5)
    try:
        backend.run_main_loop()
    finally:
        safety.cancel()
    EventLoop.unbind_uid("on_start", uid)
    assert not loop_ran  # Kivy's loop never started


@pytest.mark.parametrize("lib", LIBS)
def test_handlers_run_on_kivy_and_their_errors_are_counted(
    dispatcher: ud.Dispatcher, window: Any, lib: str
) -> None:
    import threading

    from kivy.uix.button import Button

    d = dispatcher
    sleep: Callable[[float], Any] = __import__(lib).sleep
    clicks: list[bool] = []
    stop = [False]
    ui = threading.get_ident()

    @aio.handler
    async def on_click() -> None:
        await sleep(0)
        clicks.append(threading.get_ident() == ui)
        raise ValueError("click")

    button = Button(text="go")
    button.bind(on_release=lambda *_: on_click())

    async def main() -> None:
        while not stop[0]:
            await sleep(0.005)

    run = aio.start(main, lib=lib, dispatcher=d)
    errors = d.stats().errors
    button.trigger_action(duration=0)  # press and release, as a click does
    wait_until(d, lambda: d.stats().errors == errors + 1, what="the handler's error")
    assert clicks == [True]
    (exc,) = d.error_handler.take()  # type: ignore[attr-defined]
    assert str(exc) == "click"
    stop[0] = True
    wait_until(d, lambda: run.done, what="the run's end")
    run.result()
