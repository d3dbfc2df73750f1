"""Decorated slots behave like plain ones: extra arguments, ``obj.method`` held weakly, signatures.

What a Qt or psygnal signal relies on (DESIGN "Interop with what users switch from"),
checked here on virtual time for every decorator form, without a toolkit: the Qt plugin's
``test_interop.py`` and ``test_timing_psygnal.py`` connect real signals.
"""

from __future__ import annotations

import gc
import inspect
import threading
import types
import weakref
from collections.abc import Callable
from typing import Any

import pytest

import uidispatch as ud

Dispatcher = ud.Dispatcher
Decorator = Callable[[Callable[..., Any]], Any]

# Every decorator form, bound to the test's dispatcher. Each runs a call made on the main
# thread by the time virtual time has moved by RUN_AFTER.
FORMS: dict[str, Callable[[Dispatcher], Decorator]] = {
    "ud.main_thread": lambda d: ud.main_thread(dispatcher=d),
    "ud.main_thread(wait=True)": lambda d: ud.main_thread(wait=True, dispatcher=d),
    "ud.throttle": lambda d: ud.throttle(1.0, dispatcher=d),
    "ud.throttle(leading=False)": lambda d: ud.throttle(1.0, leading=False, dispatcher=d),
    "ud.debounce": lambda d: ud.debounce(1.0, dispatcher=d),
    "ud.debounce(leading=True)": lambda d: ud.debounce(1.0, leading=True, dispatcher=d),
    "d.main_thread": lambda d: d.main_thread,
    "d.main_thread(wait=True)": lambda d: d.main_thread(wait=True),
    "d.throttle": lambda d: d.throttle(1.0),
    "d.debounce": lambda d: d.debounce(1.0, max_wait=2.0),
    "d.debounce(leading=True)": lambda d: d.debounce(1.0, leading=True),
}
RUN_AFTER = 1.0
RATE_LIMITED = {name for name in FORMS if "main_thread" not in name}


@pytest.fixture(params=list(FORMS))
def form(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def advance(d: Dispatcher, seconds: float) -> None:
    d.backend.advance(seconds)  # type: ignore[attr-defined]


def make_widget(decorate: Decorator) -> type[Any]:
    """A class whose ``on_values(self, a, b)`` is decorated with ``decorate``."""

    class Widget:
        def __init__(self) -> None:
            self.seen: list[tuple[Any, ...]] = []

        def on_values(self, a: int, b: int = 0, *, unit: str = "") -> None:
            self.seen.append((a, b, unit) if unit else (a, b))

        on_values = decorate(on_values)

    return Widget


# ------------------------------------------------------------------ extra arguments


def test_a_function_gets_the_leading_positional_arguments_it_accepts(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    seen: list[tuple[int, int]] = []

    def two(a: int, b: int) -> None:
        seen.append((a, b))

    f = FORMS[form](d)(two)
    f(1, 2, 3)  # a Signal(int, int, int) calling a two-argument slot
    advance(d, RUN_AFTER)
    assert seen == [(1, 2)]
    assert d.stats().errors == 0


def test_a_method_gets_the_leading_positional_arguments_it_accepts(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    w = make_widget(FORMS[form](d))()
    w.on_values(1, 2, 3, 4)
    advance(d, RUN_AFTER)
    type(w).on_values(w, 5, 6, 7)  # through the class: self counts as one of them
    advance(d, RUN_AFTER * 2)
    assert w.seen == [(1, 2), (5, 6)]


def test_a_call_from_a_worker_is_cut_the_same_way(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    w = make_widget(FORMS[form](d))()
    worker = threading.Thread(target=lambda: w.on_values(1, 2, 3, unit="%"))
    worker.start()
    # With wait=True the worker waits for the main thread: pump the loop meanwhile.
    assert d.run_until(lambda: not worker.is_alive(), 5)
    advance(d, RUN_AFTER)
    assert d.run_until(lambda: w.seen == [(1, 2, "%")], 5)


def test_keyword_arguments_are_passed_as_they_are(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    w = make_widget(FORMS[form](d))()
    w.on_values(1, 2, 3, unit="%")
    advance(d, RUN_AFTER)
    assert w.seen == [(1, 2, "%")]


def test_a_function_taking_star_args_gets_every_argument(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    seen: list[tuple[int, ...]] = []

    def every(first: int, *rest: int) -> None:
        seen.append((first, *rest))

    f = FORMS[form](d)(every)  # kept: a limiter nobody holds drops its pending call
    f(1, 2, 3)
    advance(d, RUN_AFTER)
    assert seen == [(1, 2, 3)]


def test_too_few_arguments_still_fail_as_they_would_undecorated(
    virtual_dispatcher: Dispatcher,
) -> None:
    @ud.main_thread(dispatcher=virtual_dispatcher)
    def two(a: int, b: int) -> None:
        pass

    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        two(1)  # type: ignore[call-arg]


def test_what_a_function_accepts_is_read_once_at_decoration(
    virtual_dispatcher: Dispatcher, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = virtual_dispatcher
    seen: list[tuple[int, int]] = []

    def two(a: int, b: int) -> None:
        seen.append((a, b))

    f = FORMS[form](d)(two)

    def no_signature(obj: object, **kwargs: object) -> inspect.Signature:
        raise AssertionError("signature read on a call")

    monkeypatch.setattr(inspect, "signature", no_signature)
    f(1, 2, 3)
    advance(d, RUN_AFTER)
    assert seen == [(1, 2)]


def test_a_callable_whose_signature_cannot_be_read_gets_every_argument(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    seen: list[tuple[int, ...]] = []

    class Opaque:
        @property
        def __signature__(self) -> inspect.Signature:
            raise ValueError("no signature")

        def __call__(self, *args: int) -> None:
            seen.append(args)

    with pytest.raises(ValueError, match="no signature"):
        inspect.signature(Opaque())
    f = FORMS[form](d)(Opaque())
    f(1, 2, 3)
    advance(d, RUN_AFTER)
    assert seen == [(1, 2, 3)]


# ------------------------------------------------------------------ obj.method holds obj weakly


def test_a_kept_bound_method_does_not_keep_its_instance_alive(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    w = make_widget(FORMS[form](d))()
    kept = w.on_values
    kept(1, 2)
    advance(d, RUN_AFTER)
    assert w.seen == [(1, 2)]
    assert kept.__self__ is w
    ref = weakref.ref(w)
    del w
    gc.collect()
    assert ref() is None
    assert kept.__self__ is None


def test_a_kept_bound_method_of_a_collected_instance_does_nothing(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    w = make_widget(FORMS[form](d))()
    kept = w.on_values
    del w
    gc.collect()
    assert kept(1, 2) is None  # main_thread too: no Future, nothing to run it on
    advance(d, RUN_AFTER * 3)
    assert d.stats().errors == 0
    if form in RATE_LIMITED:
        assert kept.dropped == 1  # counted like any call merged away
        assert not kept.pending


def test_a_kept_bound_method_called_from_a_worker_after_collection_does_nothing(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    w = make_widget(FORMS[form](d))()
    kept = w.on_values
    del w
    gc.collect()
    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(kept(1, 2)))
    worker.start()
    worker.join(5)
    assert box == [None]
    d.backend.run_ready()  # type: ignore[attr-defined]
    advance(d, RUN_AFTER * 3)
    assert d.stats().errors == 0
    if form in RATE_LIMITED:
        assert kept.dropped == 1


@pytest.mark.parametrize("limited", sorted(RATE_LIMITED))
def test_a_pending_call_dies_with_its_instance(
    virtual_dispatcher: Dispatcher, limited: str
) -> None:
    d = virtual_dispatcher
    w = make_widget(FORMS[limited](d))()
    w.on_values(1, 2)
    w.on_values(3, 4)  # pending in every form: inside a window or a quiet period
    kept = w.on_values
    assert kept.pending
    del w
    gc.collect()
    advance(d, RUN_AFTER * 3)
    assert not kept.pending
    assert d.stats().errors == 0


def test_obj_method_is_one_object_while_obj_lives(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    # psygnal holds a connected callable object weakly: a fresh object per attribute read
    # would be dropped, and the connection with it, at once.
    d = virtual_dispatcher
    widget = make_widget(FORMS[form](d))
    a, b = widget(), widget()
    assert a.on_values is a.on_values
    assert a.on_values is not b.on_values
    assert a.on_values.__wrapped__ is widget.__dict__["on_values"].__wrapped__
    assert a.on_values.__name__ == "on_values"
    assert "on_values" in repr(a.on_values)


def test_the_per_instance_objects_go_with_their_instances(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    d = virtual_dispatcher
    widget = make_widget(FORMS[form](d))
    widgets = [widget() for _ in range(5)]
    for w in widgets:
        w.on_values(1, 2)
    descriptor = widget.__dict__["on_values"]
    assert len(descriptor._bound) == 5
    del w, widgets
    gc.collect()
    assert len(descriptor._bound) == 0
    advance(d, RUN_AFTER * 3)


def test_main_thread_on_instances_without_weak_references_binds_as_a_plain_method(
    virtual_dispatcher: Dispatcher,
) -> None:
    class Slotted:
        __slots__ = ("seen",)

        def __init__(self) -> None:
            self.seen: list[int] = []

        @ud.main_thread(dispatcher=virtual_dispatcher)
        def add(self, value: int) -> None:
            self.seen.append(value)

    s = Slotted()
    assert isinstance(s.add, types.MethodType)
    s.add(1, 2)
    assert s.seen == [1]
    assert str(inspect.signature(s.add)) == "(value: 'int') -> 'None'"


def test_main_thread_on_a_function_outside_a_class_stays_a_function(
    virtual_dispatcher: Dispatcher,
) -> None:
    # psygnal holds a plain function strongly: a decorated function connected inline
    # (sig.connect(ud.main_thread(show))) must not be collected and disconnected.
    def show(value: int) -> None:
        pass

    assert isinstance(ud.main_thread(dispatcher=virtual_dispatcher)(show), types.FunctionType)
    assert isinstance(ud.main_thread(wait=True)(show), types.FunctionType)
    assert isinstance(ud.main_thread(lambda v: v), types.FunctionType)


def test_static_and_class_methods_around_main_thread_still_work(
    virtual_dispatcher: Dispatcher,
) -> None:
    ud.use(virtual_dispatcher)

    class Tools:
        @staticmethod
        @ud.main_thread
        def double(value: int) -> int:
            return value * 2

    assert Tools.double(2, 99) == 4  # type: ignore[call-arg]
    assert Tools().double(3) == 6


# ------------------------------------------------------------------ signatures


def test_a_decorated_functions_signature_is_the_functions(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    def show(value: int, unit: str = "%", *, force: bool = False) -> None:
        pass

    decorated = FORMS[form](virtual_dispatcher)(show)
    assert inspect.signature(decorated) == inspect.signature(show)


def test_a_bound_decorated_methods_signature_has_no_self(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    widget = make_widget(FORMS[form](virtual_dispatcher))
    plain = make_widget(lambda fn: fn)
    assert inspect.signature(widget().on_values) == inspect.signature(plain().on_values)
    assert str(inspect.signature(widget().on_values)) == (
        "(a: 'int', b: 'int' = 0, *, unit: 'str' = '') -> 'None'"
    )
    # Through the class it is the function, self included, as for a plain method.
    assert inspect.signature(widget.on_values) == inspect.signature(plain.on_values)


def test_a_method_taking_only_star_args_keeps_them_when_bound(
    virtual_dispatcher: Dispatcher, form: str
) -> None:
    def every(*args: object) -> None:
        pass

    class Widget:
        on = FORMS[form](virtual_dispatcher)(every)

    class Plain:
        on = every

    assert inspect.signature(Widget().on) == inspect.signature(Plain().on)
