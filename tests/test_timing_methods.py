"""Per-instance state on methods, garbage collection, and the default dispatcher."""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass, field
from typing import Any

import pytest

import uidispatch as ud

Dispatcher = ud.Dispatcher


def advance(d: Dispatcher, seconds: float) -> None:
    d.backend.advance(seconds)  # type: ignore[attr-defined]


# Decorated at import, before any dispatcher exists: the default is looked up at first call.
LOG: list[Any] = []


@ud.throttle(1.0)
def module_throttled(x: int) -> None:
    LOG.append(("throttle", x))


@ud.debounce(1.0)
def module_debounced(x: int) -> None:
    LOG.append(("debounce", x))


class Widget:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[Any] = []

    @ud.throttle(1.0)
    def refresh(self, value: int) -> None:
        self.seen.append(("refresh", value))

    @ud.debounce(1.0)
    def search(self, text: str) -> None:
        self.seen.append(("search", text))


@dataclass
class EqualWidget:
    """Instances compare equal by value and are unhashable."""

    seen: list[int] = field(default_factory=list)

    @ud.throttle(1.0, leading=False)
    def refresh(self, value: int) -> None:
        self.seen.append(value)


@pytest.fixture
def default(virtual_dispatcher: Dispatcher) -> Dispatcher:
    ud.use(virtual_dispatcher)
    LOG.clear()
    return virtual_dispatcher


# ------------------------------------------------------------------ default dispatcher


def test_decorating_before_any_dispatcher_exists_uses_the_default_at_first_call(
    default: Dispatcher,
) -> None:
    module_throttled(1)
    module_throttled(2)
    module_debounced(3)
    assert LOG == [("throttle", 1)]
    advance(default, 1.0)
    assert LOG == [("throttle", 1), ("throttle", 2), ("debounce", 3)]


def test_a_closed_default_is_replaced_at_the_next_call() -> None:
    first = ud.get_dispatcher("virtual")
    ud.use(first)
    module_debounced(1)
    first.close()  # its pending call is dropped with it
    assert not module_debounced.pending
    second = ud.get_dispatcher("virtual")
    assert second is not first
    ud.use(second)
    try:
        LOG.clear()
        module_debounced(2)
        assert module_debounced.pending
        advance(second, 1.0)
        assert LOG == [("debounce", 2)]
    finally:
        second.close()


def test_without_any_backend_the_call_raises_not_the_decoration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from uidispatch._core import _registry

    def nothing() -> _registry.Detected:
        return _registry.Detected(None, "nothing running", {}, {})

    monkeypatch.setattr(_registry, "detect", nothing)
    f = ud.debounce(1.0)(LOG.append)  # fine: nothing is looked up yet
    with pytest.raises(ud.NoBackendDetected):
        f(1)


# ------------------------------------------------------------------ per instance


def test_two_instances_never_share_a_throttle(default: Dispatcher) -> None:
    a, b = Widget("a"), Widget("b")
    a.refresh(1)
    b.refresh(10)  # its own leading edge, not swallowed by a's window
    a.refresh(2)
    b.refresh(20)
    assert a.seen == [("refresh", 1)]
    assert b.seen == [("refresh", 10)]
    a.refresh.cancel()  # cancels a's only
    assert not a.refresh.pending
    assert b.refresh.pending
    advance(default, 1.0)
    assert a.seen == [("refresh", 1)]
    assert b.seen == [("refresh", 10), ("refresh", 20)]


def test_instances_that_compare_equal_still_have_their_own_state(default: Dispatcher) -> None:
    a, b = EqualWidget(), EqualWidget()
    assert a == b
    a.refresh(1)
    b.refresh(2)
    advance(default, 1.0)
    assert a.seen == [1]
    assert b.seen == [2]


def test_flush_and_pending_act_on_the_bound_instance(default: Dispatcher) -> None:
    a, b = Widget("a"), Widget("b")
    a.search("x")
    b.search("y")
    a.search.flush()
    assert a.seen == [("search", "x")]
    assert not a.search.pending
    assert b.search.pending
    advance(default, 1.0)
    assert b.seen == [("search", "y")]


def test_calling_through_the_class_keeps_per_instance_state(default: Dispatcher) -> None:
    a, b = Widget("a"), Widget("b")
    Widget.refresh(a, 1)
    Widget.refresh(b, 2)  # b's own leading edge
    a.refresh(3)  # the same state as Widget.refresh(a, ...)
    assert a.seen == [("refresh", 1)]
    assert b.seen == [("refresh", 2)]
    assert a.refresh.pending
    assert a.refresh == a.refresh
    assert a.refresh != b.refresh


def test_a_decorated_method_does_not_keep_its_instance_alive(default: Dispatcher) -> None:
    w = Widget("gone")
    w.refresh(1)
    w.refresh(2)  # a trailing call is pending
    w.search("q")
    assert w.refresh.pending
    ref = weakref.ref(w)
    del w
    gc.collect()
    assert ref() is None
    advance(default, 2.0)  # the timers fire and find nothing to call: no error
    descriptor = Widget.__dict__["refresh"]
    assert len(descriptor._bound) == 0  # the per-instance state went with it


def test_a_destroyed_widget_is_skipped_instead_of_raising(default: Dispatcher) -> None:
    w = Widget("destroyed")
    w.search("q")
    default.backend.kill(w)  # type: ignore[attr-defined]  # as a toolkit's destroy() would
    advance(default, 1.0)
    assert w.seen == []
    assert default.stats().errors == 0


def test_instances_without_weakref_support_get_a_clear_error(default: Dispatcher) -> None:
    class Slotted:
        __slots__ = ()

        @ud.debounce(1.0)
        def search(self) -> None:
            pass

    with pytest.raises(TypeError, match=r"debounce on a method needs .*'__weakref__'"):
        Slotted().search()


def test_the_class_attribute_is_the_decorator_itself(default: Dispatcher) -> None:
    assert isinstance(Widget.refresh, ud._timing._throttle.RateLimited)
    w = Widget("w")
    assert w.refresh.__self__ is w
    assert w.refresh.__wrapped__ is Widget.__dict__["refresh"].__wrapped__
    assert "bound throttle" in repr(w.refresh)
