"""The built-in backends, and the example third-party one, pass the conformance suite."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import uidispatch as ud
from uidispatch.testing.conformance import BackendConformance


class TestVirtualConformance(BackendConformance):
    backend = "virtual"


class TestAsyncioConformance(BackendConformance):
    backend = "asyncio"

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object:
        loop = asyncio.new_event_loop()
        loop.close()  # a closed loop is the asyncio backend's dead app
        return loop

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        # A closed loop is the app going away: loop.close() closes the dispatcher.
        getattr(dispatcher.backend, "loop").close()  # noqa: B009 - AsyncioBackend only
        return True


class TestExampleConformance(BackendConformance):
    """tests/example_plugin: installed in the test environment, found by its entry point."""

    backend = "example"

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object:
        from uidispatch_example.toyloop import Widget

        loop: Any = getattr(dispatcher.backend, "loop")  # noqa: B009 - ExampleBackend only
        widget = Widget(loop)
        widget.destroy()
        return widget

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        getattr(dispatcher.backend, "loop").close()  # noqa: B009 - ExampleBackend only
        return True


def test_example_backend_is_discovered_through_its_entry_point() -> None:
    info = ud.backends().get("example")
    if info is None:
        pytest.skip("tests/example_plugin is not installed: pip install -e tests/example_plugin")
    assert info.loaded
    assert not info.builtin
    assert info.distribution == "uidispatch-example"
    assert info.version == "0.1.0"


def test_example_backend_is_auto_detected_once_its_loop_exists() -> None:
    pytest.importorskip("uidispatch_example", reason="tests/example_plugin is not installed")
    from uidispatch_example.toyloop import ToyLoop

    loop = ToyLoop()
    try:
        d = ud.get_dispatcher()
        assert d.backend.name == "example"
        assert ud.get_dispatcher() is d
    finally:
        loop.close()
    assert d.closed  # the app went away: the dispatcher closed with it
