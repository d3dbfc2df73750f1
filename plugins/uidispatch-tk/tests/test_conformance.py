from __future__ import annotations

import tkinter
from collections.abc import Iterator

import pytest
from uidispatch_tk import TkBackend

import uidispatch as ud
from uidispatch.testing import ErrorCollector
from uidispatch.testing.conformance import BackendConformance


class TestTkConformance(BackendConformance):
    backend = "tk"

    @pytest.fixture
    def dispatcher(self, root: tkinter.Tk) -> Iterator[ud.Dispatcher]:
        # Our own root fixture: close_app() destroys the root, which the shared test app
        # would then destroy a second time (a TclError in its teardown).
        d = ud.get_dispatcher("tk", app=root)
        collector = ErrorCollector()
        d.error_handler = collector
        yield d
        d.close()
        if d.error_handler is collector and collector.errors:
            pytest.fail(f"uncaught exceptions in main-thread callbacks: {collector.errors}")

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object | None:
        label = tkinter.Label(dispatcher.backend._root)  # type: ignore[attr-defined]
        label.destroy()
        return label

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        dispatcher.backend._root.destroy()  # type: ignore[attr-defined]
        return True


class TestTkSocketWakeConformance(TestTkConformance):
    """The whole contract again with the wake-up Windows uses (``_tkinter`` there has no
    ``createfilehandler``): a loopback socket to a Tcl channel, forced here."""

    @pytest.fixture
    def dispatcher(self, root: tkinter.Tk) -> Iterator[ud.Dispatcher]:
        d = ud.Dispatcher(TkBackend(root, wake="socket"))
        collector = ErrorCollector()
        d.error_handler = collector
        yield d
        d.close()
        if d.error_handler is collector and collector.errors:
            pytest.fail(f"uncaught exceptions in main-thread callbacks: {collector.errors}")
