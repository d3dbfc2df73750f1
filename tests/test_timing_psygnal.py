"""psygnal: its signals take decorated slots, and its own debouncer and throttler agree with ours.

On virtual time, without a toolkit (the Qt plugin's ``test_interop.py`` connects psygnal
signals under a real Qt loop too). Skipped when psygnal is not installed.
"""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_timing_interop import FORMS, RUN_AFTER, advance, make_widget

import uidispatch as ud
from uidispatch._backends._virtual import VirtualBackend

psygnal = pytest.importorskip("psygnal")

Dispatcher = ud.Dispatcher


class Emitter:
    one = psygnal.Signal(int)
    three = psygnal.Signal(int, int, int)


@pytest.fixture(params=list(FORMS))
def form(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


# ------------------------------------------------------------------ connecting


@pytest.mark.parametrize("check_nargs", [True, False])
def test_a_signal_with_more_arguments_calls_a_decorated_function_with_the_leading_ones(
    virtual_dispatcher: Dispatcher, form: str, check_nargs: bool
) -> None:
    # check_nargs=False: psygnal passes every argument, and the decorator cuts them.
    d = virtual_dispatcher
    seen: list[tuple[int, int]] = []

    def two(a: int, b: int) -> None:
        seen.append((a, b))

    slot = FORMS[form](d)(two)
    e = Emitter()
    e.three.connect(slot, check_nargs=check_nargs)
    e.three.emit(1, 2, 3)
    advance(d, RUN_AFTER)
    assert seen == [(1, 2)]


def test_decorated_methods_connect_as_plain_methods_do(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    # With self in the bound signature psygnal would refuse Signal(int): "Slot requires
    # at least 2 positional arguments, but spec only provides 1".
    d = virtual_dispatcher
    w = make_widget(FORMS[form](d))()
    e = Emitter()
    e.one.connect(w.on_values)
    e.one.emit(5)
    advance(d, RUN_AFTER)
    e.three.connect(w.on_values)
    e.three.emit(1, 2, 3)
    advance(d, RUN_AFTER)
    assert w.seen == [(5, 0), (1, 2)]
    e.one.disconnect(w.on_values)
    assert len(e.one) == 0


def test_a_connected_decorated_method_does_not_keep_its_instance_alive(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    widget = make_widget(FORMS[form](d))
    w = widget()
    e = Emitter()
    e.one.connect(w.on_values)
    e.three.connect(w.on_values)
    ref = weakref.ref(w)
    del w
    gc.collect()
    assert ref() is None
    # psygnal held the slot weakly and drops the connection with the instance.
    assert len(e.one) == len(e.three) == 0
    e.one.emit(1)
    advance(d, RUN_AFTER)
    assert d.stats().errors == 0


def test_main_thread_on_a_function_connected_inline_stays_connected(
    virtual_dispatcher: Dispatcher,
) -> None:
    # psygnal holds plain functions strongly and other callables weakly: main_thread on
    # a function returns a function, so a decorator applied in the connect call lives on.
    seen: list[int] = []
    e = Emitter()
    e.one.connect(ud.main_thread(dispatcher=virtual_dispatcher)(lambda v: seen.append(v)))
    gc.collect()
    e.one.emit(7)
    assert seen == [7]


# ------------------------------------------------------------------ the same semantics


class VirtualTimer:
    """``threading.Timer`` as psygnal's throttler module uses it, on virtual time."""

    backend: VirtualBackend

    def __init__(self, interval: float, function: Callable[[], object]) -> None:
        self.interval = interval
        self.function = function
        self.handle: Any = None
        self.alive = False

    def start(self) -> None:
        if self.interval <= 0:
            return  # psygnal's placeholder Timer(0, noop): a real one ends at once
        self.alive = True
        self.handle = self.backend.call_later(self.interval, self._run)

    def _run(self) -> None:
        self.alive = False
        self.function()

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.alive = False

    def is_alive(self) -> bool:
        return self.alive


@contextlib.contextmanager
def psygnal_on(backend: VirtualBackend) -> Iterator[None]:
    """psygnal's debouncer and throttler with their timers on ``backend``'s virtual time."""
    module: Any = pytest.importorskip("psygnal._throttler")
    if not hasattr(module, "Timer"):
        pytest.skip("psygnal's throttler no longer uses threading.Timer")
    saved, module.Timer = module.Timer, VirtualTimer
    VirtualTimer.backend = backend
    try:
        yield
    finally:
        module.Timer = saved


UNIT = 1 / 64  # seconds per step: exact in binary, and in psygnal's milliseconds / 1000
OPS = st.lists(
    st.sampled_from(["call", "cancel", "flush"]) | st.integers(0, 12),  # int: advance
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(["debounce", "throttle"]),
    leading=st.booleans(),
    ticks=st.integers(1, 8),
    ops=OPS,
)
def test_debounce_and_throttle_run_when_psygnals_own_would(
    kind: str, leading: bool, ticks: int, ops: list[str | int]
) -> None:
    # psygnal's debounced(leading=...) and throttled(leading=...) (trailing edge on) are
    # the reference: the same calls, cancel() and flush() give the same runs, at the same
    # times, with the same arguments. Only the timers differ: theirs run on a thread.
    backend = VirtualBackend()
    d = ud.Dispatcher(backend)
    ours: list[tuple[float, int]] = []
    theirs: list[tuple[float, int]] = []
    with psygnal_on(backend):
        if kind == "debounce":
            f: Any = ud.debounce(ticks * UNIT, leading=leading, dispatcher=d)(
                lambda x: ours.append((backend.now(), x))
            )
            g: Any = psygnal.debounced(
                lambda x: theirs.append((backend.now(), x)),
                timeout=ticks * UNIT * 1000,
                leading=leading,
            )
        else:
            f = ud.throttle(ticks * UNIT, leading=leading, dispatcher=d)(
                lambda x: ours.append((backend.now(), x))
            )
            g = psygnal.throttled(
                lambda x: theirs.append((backend.now(), x)),
                timeout=ticks * UNIT * 1000,
                leading=leading,
            )
        try:
            for i, op in enumerate(ops):
                if op == "call":
                    f(i)
                    g(i)
                elif op == "cancel":
                    f.cancel()
                    g.cancel()
                elif op == "flush":
                    f.flush()
                    g.flush()
                else:
                    backend.advance(int(op) * UNIT)
                assert ours == theirs
                assert f.pending == g._has_pending
            backend.advance(20 * ticks * UNIT)
            assert ours == theirs
        finally:
            d.close()
