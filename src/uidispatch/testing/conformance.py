"""The backend conformance suite: proof that a backend keeps the ``MainThreadDispatcher`` contract.

A backend's tests run it with one class::

    from uidispatch.testing.conformance import BackendConformance

    class TestGtkConformance(BackendConformance):
        backend = "gtk"

Each test takes the ``dispatcher`` fixture of the uidispatch pytest plugin, which sets the
toolkit up through the ``pytest_uidispatch_test_app`` hook; ``backend`` restricts it to one
backend (leave it ``None`` to run on every installed backend). To use a fixture of your own
instead, override ``dispatcher`` in the subclass::

    class TestGtkConformance(BackendConformance):
        @pytest.fixture
        def dispatcher(self, gtk_dispatcher):
            return gtk_dispatcher

The tests drive the real toolkit loop and wait on conditions with timeouts, never fixed
sleeps; on a backend with virtual time (``advance()`` and ``now()``) they move the clock
instead. Two checks need knowledge only the backend has: :meth:`~BackendConformance.dead_owner`
and :meth:`~BackendConformance.close_app`. Without an override they are skipped with a reason
that says so, so the gap shows in the report.
"""

from __future__ import annotations

from typing import ClassVar

import uidispatch as ud

from ._contract_backend import BackendChecks, _Plain
from ._contract_dispatcher import DispatcherChecks
from ._counting import CountingBackend

__all__ = ["BackendConformance", "CountingBackend"]


class BackendConformance(BackendChecks, DispatcherChecks):
    """Tests every backend must pass; subclass it in your backend's tests.

    Class attributes tune it to a toolkit (each documented); methods ``dead_owner`` and
    ``close_app`` supply what only the backend knows.
    """

    backend: ClassVar[str | None] = None
    """The backend under test; ``None`` runs the suite on every installed backend."""
    timer_tolerance: ClassVar[float] = 0.001
    """How much earlier than its delay a timer may fire (toolkits count whole ms)."""
    idle_slack: ClassVar[float] = 0.3
    """How long past its timeout ``process_events`` may take on a loaded machine."""

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object | None:
        """Return an object ``dispatcher.backend.is_alive()`` reports dead (a destroyed widget).

        The caller keeps it referenced. ``None`` (the default, except on backends with a
        ``kill(obj)`` test control, as ``virtual``) declares the check not applicable.
        """
        kill = getattr(dispatcher.backend, "kill", None)
        if not callable(kill):
            return None
        obj = _Plain()
        kill(obj)
        return obj

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        """Make the backend's app go away (destroy the root, quit the app); True if done.

        The default handles backends with a ``close_app()`` test control (``virtual``)
        and returns False for the rest, declaring the check not applicable.
        """
        close = getattr(dispatcher.backend, "close_app", None)
        if not callable(close):
            return False
        close()
        return True
