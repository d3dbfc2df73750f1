"""Every way uidispatch brings a worker's call back to the UI thread, for backend tests.

The wrong-thread checker (``ud.check_threads``) must never report uidispatch's own paths:
a call a worker hands to ``call_soon``, ``call``, ``main_thread`` or a task's callbacks
runs on the UI thread, where touching a widget is right. A backend's test suite proves
that for its toolkit's part of the checker with one parametrized test::

    from uidispatch.testing import marshalling

    @pytest.mark.parametrize("path", marshalling.PATHS)
    def test_our_paths_are_never_reported(app, dispatcher, path):
        marshalling.assert_never_reported(
            path,
            dispatcher,
            set_text=lambda value: app.label.configure(text=value),  # a widget call
            pump_until=run_the_loop_until,  # (predicate) -> False on a timeout
        )

Each path calls ``set_text("x")`` on the UI thread (a task's progress, item and busy
callbacks call it with other values too). A path added here is checked on every toolkit
at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import uidispatch as ud

if TYPE_CHECKING:
    from uidispatch import Dispatcher

__all__ = ["PATHS", "assert_never_reported"]

SetText = Callable[[str], object]
Path = Callable[["Dispatcher", SetText], object]


def _call_soon(d: Dispatcher, set_text: SetText) -> None:
    d.call_soon(set_text, "x")


def _call_soon_keyed(d: Dispatcher, set_text: SetText) -> None:
    d.call_soon(set_text, "x", key="marshalling")


def _call(d: Dispatcher, set_text: SetText) -> None:
    d.call(set_text, "x")


def _call_later(d: Dispatcher, set_text: SetText) -> None:
    d.call_later(0.001, set_text, "x")


def _main_thread(d: Dispatcher, set_text: SetText) -> None:
    ud.main_thread(dispatcher=d)(set_text)("x")


def _main_thread_wait(d: Dispatcher, set_text: SetText) -> None:
    ud.main_thread(wait=True, dispatcher=d)(set_text)("x")


# A rate-limited function nobody holds drops its pending call (it must not keep a window
# alive): these return it, and the caller holds it until the call ran, as an app does.
def _throttle(d: Dispatcher, set_text: SetText) -> object:
    throttled = ud.throttle(0.01, dispatcher=d)(set_text)
    throttled("x")
    return throttled


def _debounce(d: Dispatcher, set_text: SetText) -> object:
    debounced = ud.debounce(0.01, dispatcher=d)(set_text)
    debounced("x")
    return debounced


def _work() -> str:
    ud.report_progress(0.5, "half")
    return "x"


def _streaming_work() -> str:
    ud.report_progress(0.5, "half")
    ud.emit("item")
    return "x"


def _task_callbacks(d: Dispatcher, set_text: SetText) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=d)
    pool.submit(
        _streaming_work,
        on_start=lambda: set_text("started"),
        on_progress=lambda value, message: set_text(str(message)),
        on_item=set_text,
        on_done=set_text,
    )
    pool.shutdown(wait=False)


def _task_finish(d: Dispatcher, set_text: SetText) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=d)
    pool.submit(_work, on_finish=lambda task: set_text(task.result()))
    pool.shutdown(wait=False)


def _operation(d: Dispatcher, set_text: SetText) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=d)
    op = pool.operation(if_running="restart")(_work)
    op.on_busy(lambda busy: set_text("busy" if busy else "idle"))
    op.submit(on_done=set_text)
    pool.shutdown(wait=False)


PATHS: dict[str, Path] = {
    "call_soon": _call_soon,
    "call_soon(key=)": _call_soon_keyed,
    "call": _call,
    "call_later": _call_later,
    "main_thread": _main_thread,
    "main_thread(wait=True)": _main_thread_wait,
    "throttle": _throttle,
    "debounce": _debounce,
    "task callbacks": _task_callbacks,
    "on_finish": _task_finish,
    "operation": _operation,
}
"""Each path by name: ``path(dispatcher, set_text)``, called on a worker thread; what it
returns is held until the call ran."""


def assert_never_reported(
    path: str,
    dispatcher: Dispatcher,
    *,
    set_text: SetText,
    pump_until: Callable[[Callable[[], bool]], object],
    profile_threads: bool = False,
) -> None:
    """Run ``PATHS[path]`` on a worker under ``check_threads(mode="raise")``; no report.

    ``set_text(value)`` touches a widget (one the toolkit's checker part watches);
    ``pump_until(predicate)`` runs the UI loop until ``predicate()`` is true, and returns
    false (or raises) on a timeout. ``profile_threads`` is passed to ``check_threads``
    (Qt setters on Python 3.10/3.11).
    """
    errors: list[BaseException | None] = []
    seen: list[str] = []
    held: list[object] = []

    def touch(value: str) -> None:
        set_text(value)
        seen.append(value)

    def work() -> None:
        try:
            held.append(PATHS[path](dispatcher, touch))
            errors.append(None)
        except BaseException as exc:
            errors.append(exc)

    with ud.check_threads(mode="raise", profile_threads=profile_threads) as chk:
        thread = threading.Thread(target=work, name=f"marshalling {path}")
        thread.start()
        reached = pump_until(lambda: "x" in seen and bool(errors))
        thread.join(10)
    held.clear()  # what the path returned may go now
    assert reached is not False, f"{path}: the call never reached the UI thread ({errors})"
    assert errors == [None], f"{path}: the worker's side raised {errors}"
    assert chk.violations == [], f"{path}: uidispatch's own path was reported"
