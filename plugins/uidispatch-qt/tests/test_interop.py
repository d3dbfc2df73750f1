"""Decorated slots on real Qt and psygnal signals behave as plain slots do.

A ``Signal(int, int, int)`` hands a two-argument slot its first two arguments; a decorated
one (``main_thread``, ``throttle``, ``debounce``, and the ``d.*`` forms) gets the same. A
connected or kept ``widget.method`` of a decorated method never keeps the widget alive.
psygnal and superqt tests skip when those are not installed.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from conftest import WAIT, QtWidgets
from pytestqt.qtbot import QtBot
from uidispatch_qt._binding import QtCore, Signal

import uidispatch as ud

Decorator = Callable[[Callable[..., Any]], Any]
TICK = 0.02  # the throttle and debounce intervals: the tests wait on conditions, not on this

FORMS: dict[str, Callable[[ud.Dispatcher], Decorator]] = {
    "ud.main_thread": lambda d: ud.main_thread,  # the default dispatcher: qt_dispatcher
    "ud.main_thread(wait=True)": lambda d: ud.main_thread(wait=True, dispatcher=d),
    "ud.throttle": lambda d: ud.throttle(TICK, dispatcher=d),
    "ud.debounce": lambda d: ud.debounce(TICK),
    "ud.debounce(leading=True)": lambda d: ud.debounce(TICK, leading=True, dispatcher=d),
    "d.main_thread": lambda d: d.main_thread,
    "d.throttle": lambda d: d.throttle(TICK, leading=False),
    "d.debounce": lambda d: d.debounce(TICK, max_wait=TICK * 2),
}


@pytest.fixture(params=list(FORMS))
def form(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class Emitter(QtCore.QObject):
    three = Signal(int, int, int)


def make_panel(decorate: Decorator, base: type = object) -> type[Any]:
    """A class (``base``: a QWidget or a plain object) with a decorated two-argument slot."""

    class Panel(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[tuple[int, int]] = []

        def on_values(self, a: int, b: int) -> None:
            self.seen.append((a, b))

        on_values = decorate(on_values)

    return Panel


def wait_until(qtbot: QtBot, predicate: Callable[[], bool]) -> None:
    qtbot.waitUntil(predicate, timeout=int(WAIT * 1000))


def collect_until_gone(qtbot: QtBot, ref: weakref.ref[Any]) -> None:
    def gone() -> bool:
        gc.collect()
        return ref() is None

    wait_until(qtbot, gone)


# ------------------------------------------------------------------ extra arguments


def test_a_three_argument_signal_calls_a_two_argument_decorated_function_as_a_plain_one(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot, form: str
) -> None:
    plain_seen: list[tuple[int, int]] = []
    seen: list[tuple[int, int]] = []

    def plain(a: int, b: int) -> None:
        plain_seen.append((a, b))

    def two(a: int, b: int) -> None:
        seen.append((a, b))

    slot = FORMS[form](qt_dispatcher)(two)
    emitter = Emitter()
    emitter.three.connect(plain)
    emitter.three.connect(slot)
    emitter.three.emit(1, 2, 3)
    wait_until(qtbot, lambda: seen == [(1, 2)])
    assert plain_seen == [(1, 2)]  # what Qt gives a plain slot


@pytest.mark.parametrize("base", [object, QtWidgets.QWidget], ids=["object", "QWidget"])
def test_a_three_argument_signal_calls_a_two_argument_decorated_method(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot, form: str, base: type
) -> None:
    panel = make_panel(FORMS[form](qt_dispatcher), base)()
    emitter = Emitter()
    emitter.three.connect(panel.on_values)
    emitter.three.emit(1, 2, 3)
    wait_until(qtbot, lambda: panel.seen == [(1, 2)])


# ------------------------------------------------------------------ obj.method held weakly


@pytest.mark.parametrize("base", [object, QtWidgets.QWidget], ids=["object", "QWidget"])
def test_connected_and_kept_decorated_methods_do_not_keep_the_widget_alive(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot, form: str, base: type
) -> None:
    panel_class = make_panel(FORMS[form](qt_dispatcher), base)
    panel = panel_class()
    emitter = Emitter()
    emitter.three.connect(panel.on_values)
    kept, seen = panel.on_values, panel.seen
    emitter.three.emit(1, 2, 3)
    wait_until(qtbot, lambda: seen == [(1, 2)])
    ref = weakref.ref(panel)
    del panel
    collect_until_gone(qtbot, ref)
    # The connection and the kept bound method now do nothing, quietly.
    emitter.three.emit(4, 5, 6)
    assert kept(7, 8) is None
    if hasattr(kept, "dropped"):
        wait_until(qtbot, lambda: kept.dropped == 2)  # both calls, counted
    qtbot.wait(int(TICK * 3 * 1000))  # let any timer fire: nothing may run or fail
    assert qt_dispatcher.stats().errors == 0


# ------------------------------------------------------------------ psygnal under Qt


def test_psygnal_signals_connect_decorated_methods_and_let_the_widget_go(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot, form: str
) -> None:
    psygnal = pytest.importorskip("psygnal")

    class Model:
        value = psygnal.Signal(int)
        three = psygnal.Signal(int, int, int)

    class Panel(QtWidgets.QWidget):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.values: list[int] = []
            self.pairs: list[tuple[int, int]] = []

        def on_value(self, value: int) -> None:
            self.values.append(value)

        def on_values(self, a: int, b: int) -> None:
            self.pairs.append((a, b))

        on_value = FORMS[form](qt_dispatcher)(on_value)
        on_values = FORMS[form](qt_dispatcher)(on_values)

    model, panel = Model(), Panel()
    model.value.connect(panel.on_value)  # refused if the signature still had self
    model.three.connect(panel.on_values)
    values, pairs = panel.values, panel.pairs
    model.value.emit(5)
    model.three.emit(1, 2, 3)
    wait_until(qtbot, lambda: (values, pairs) == ([5], [(1, 2)]))
    ref = weakref.ref(panel)
    del panel
    collect_until_gone(qtbot, ref)
    assert len(model.value) == len(model.three) == 0  # psygnal let go of both slots
    model.value.emit(6)
    assert qt_dispatcher.stats().errors == 0


def test_psygnal_emitting_on_a_worker_runs_decorated_slots_on_the_gui_thread(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot, form: str
) -> None:
    psygnal = pytest.importorskip("psygnal")

    class Model:
        three = psygnal.Signal(int, int, int)

    gui = threading.get_ident()
    seen: list[tuple[int, int, bool]] = []

    def two(a: int, b: int) -> None:
        seen.append((a, b, threading.get_ident() == gui))

    slot = FORMS[form](qt_dispatcher)(two)  # kept: psygnal holds a callable object weakly
    model = Model()
    model.three.connect(slot, check_nargs=False)  # psygnal passes all three; we cut
    worker = threading.Thread(target=model.three.emit, args=(1, 2, 3))
    worker.start()
    wait_until(qtbot, lambda: seen == [(1, 2, True)])  # the loop runs: wait=True returns
    worker.join(WAIT)
    assert not worker.is_alive()


# ------------------------------------------------------------------ superqt, side by side


def _superqt_utils() -> Any:
    try:
        from superqt import utils
    except Exception as exc:  # not installed, or not working with this binding
        pytest.skip(f"superqt is not usable here: {exc!r}")
    return utils


@pytest.mark.parametrize("which", ["throttle", "debounce(leading=True)"])
def test_superqt_and_uidispatch_slots_get_the_same_arguments(
    qt_dispatcher: ud.Dispatcher, qtbot: QtBot, which: str
) -> None:
    utils = _superqt_utils()
    theirs: list[tuple[int, int]] = []
    ours: list[tuple[int, int]] = []
    if which == "throttle":
        their_slot = utils.qthrottled(lambda a, b: theirs.append((a, b)), timeout=20)
        our_slot = ud.throttle(TICK)(lambda a, b: ours.append((a, b)))
    else:
        their_slot = utils.qdebounced(lambda a, b: theirs.append((a, b)), 20, leading=True)
        our_slot = ud.debounce(TICK, leading=True)(lambda a, b: ours.append((a, b)))
    emitter = Emitter()
    emitter.three.connect(their_slot)
    emitter.three.connect(our_slot)
    emitter.three.emit(1, 2, 3)  # both leading: run at once, before emit returns
    assert theirs == ours == [(1, 2)]
