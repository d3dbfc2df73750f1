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

The tests run inside the toolkit's own main loop, the one an app runs (``root.mainloop()``,
``app.exec()``, ``App.run()``, a pygame frame loop, a Textual app), through the runner the
backend supplies as ``BackendSpec.run_loop``; only the checks of ``process_events`` itself
pump through ``process_events``. So a backend whose posts run only from
``process_events()`` fails, and a backend with no ``run_loop`` fails
``test_posts_and_timers_run_inside_the_toolkits_own_loop``, which names the field. The
wake-up checks (``_contract_loops``) also run in a loop that blocks waiting for events
(``blocking_loop``, for toolkits whose ``run_loop`` is a frame loop), where only a real
wake-up runs a post; they force their races (a worker posts while a drain runs, many
rounds) and record the thread of every call the backend gets. A failing check's message
names the contract clause it broke. They wait on conditions with timeouts, never fixed
sleeps; on a backend with virtual time
(``advance()`` and ``now()``) they move the clock instead. Two checks need knowledge
only the backend has: :meth:`~BackendConformance.dead_owner` and
:meth:`~BackendConformance.close_app`. Without an override they are skipped with a
reason that says so, so the gap shows in the report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest

import uidispatch as ud

from ._contract_backend import BackendChecks, _join, _Plain, _start
from ._contract_dispatcher import DispatcherChecks
from ._contract_loops import LoopChecks
from ._counting import CountingBackend, use_loop_runner
from ._recording import LoopRunner, thread_name

__all__ = ["BackendConformance", "CountingBackend"]


class BackendConformance(BackendChecks, LoopChecks, DispatcherChecks):
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
    patience: ClassVar[float] = 5.0
    """How long a check waits for something that must happen (a post to run, the
    dispatcher to close with its app) before it fails."""
    wake_timeout: ClassVar[float] = 2.0
    """How long a post into an idle loop may take to run: far above any real wake-up."""
    blocking_loop: ClassVar[LoopRunner | None] = None
    """A loop that blocks waiting for events (``pygame.event.wait()``), for toolkits whose
    ``run_loop`` is a frame loop: a ``run_loop``-shaped function that pumps the backend
    only after an event arrived. The wake-up checks run in it as well, since a frame loop
    pumps every frame and hides a wake-up that does nothing. Callback toolkits (Tk, Qt,
    GTK, asyncio) block in their ``run_loop`` already: leave it ``None``."""

    @pytest.fixture(autouse=True)
    def _uidispatch_real_loop(self, dispatcher: ud.Dispatcher) -> Iterator[None]:
        """Wait inside the backend's own loop (``BackendSpec.run_loop``) in every check."""
        info = ud.backends().get(dispatcher.backend.name)
        runner = info.run_loop if info is not None else None
        with use_loop_runner(runner, dispatcher.backend):
            yield

    def test_posts_and_timers_run_inside_the_toolkits_own_loop(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """Calls from a worker, a re-post and a timer all run inside the app's own main loop.

        Nothing calls ``process_events`` here: only the loop the backend's ``run_loop``
        enters (the one an app runs) can run them. The runner also returns on its timeout.
        """
        backend = dispatcher.backend
        info = ud.backends().get(backend.name)
        runner = info.run_loop if info is not None else None
        if runner is None:
            pytest.fail(
                f"backend {backend.name!r} supplies no BackendSpec.run_loop, so nothing proves "
                "its posts run inside the toolkit's own main loop (see the backend guide)"
            )
        out: list[str] = []
        seen_threads: set[int] = set()

        def record(what: str) -> None:
            out.append(what)
            seen_threads.add(threading.get_ident())
            if what == "worker 1":
                dispatcher.call_soon(record, "re-post")

        def produce() -> None:
            for i in range(3):
                dispatcher.call_soon(record, f"worker {i}")

        _join(_start(produce))
        dispatcher.call_later(0.02, record, "timer")
        runner(backend, lambda: len(out) == 5, self.patience)
        assert sorted(out) == ["re-post", "timer", "worker 0", "worker 1", "worker 2"], (
            f"inside {backend.name}'s own loop only {out} ran within {self.patience} s: posts and "
            "timers must run inside the loop an app runs (run_loop), not only from "
            "process_events()"
        )
        wrong = seen_threads - {threading.get_ident()}
        assert not wrong, (
            f"drained on thread {thread_name(wrong.pop())}, not the main thread "
            f"{thread_name(threading.get_ident())}: posts and timers run on the main thread only"
        )
        start = time.monotonic()
        runner(backend, lambda: False, 0.1)
        took = time.monotonic() - start
        assert 0.1 - self.timer_tolerance <= took < 0.1 + self.idle_slack + 1.0, (
            f"run_loop(until=False, timeout=0.1) returned after {took:.3f} s"
        )

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
