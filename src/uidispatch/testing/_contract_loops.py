"""The wake-up half of the conformance suite: the backend inside the loops real apps run.

Each check runs in every loop the backend declares (:func:`~._recording.loops_of`): its
``run_loop`` (often a frame loop, which pumps every frame and so hides a wake-up that does
nothing) and a loop that blocks waiting for events (``BackendConformance.blocking_loop``,
where the toolkit has one), in which only a real wake-up runs anything. Races are forced,
not hoped for: a worker posts, synchronised with an ``Event``, while a drain runs.
Messages name the contract clause a failure broke.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import ClassVar

import pytest

import uidispatch as ud

from ._contract_backend import _join, _start
from ._counting import is_virtual, now
from ._recording import LoopRunner, ThreadRecordingBackend, heap_callers, loops_of, thread_name

__all__ = ["LoopChecks"]


class LoopChecks:
    """Posts and timers inside the loops an app runs, blocked as well as framed."""

    timer_tolerance: ClassVar[float]
    patience: ClassVar[float]
    wake_timeout: ClassVar[float]
    blocking_loop: ClassVar[LoopRunner | None]

    def _loops(self, dispatcher: ud.Dispatcher) -> list[tuple[str, LoopRunner]]:
        return loops_of(dispatcher.backend, type(self).blocking_loop)

    def test_a_post_from_a_worker_wakes_the_idle_loop(self, dispatcher: ud.Dispatcher) -> None:
        """A worker's post into a loop sitting idle runs, on the main thread, without help.

        Nothing else happens in the loop (no timer, no frame work the check relies on):
        in a loop blocked waiting for events only the post's own wake-up can run it.
        """
        backend = dispatcher.backend
        main = threading.get_ident()
        for label, runner in self._loops(dispatcher):
            for _ in range(3):
                ran: list[int] = []

                def produce(ran: list[int] = ran) -> None:
                    time.sleep(0.02)  # the scenario, not a wait: the loop has gone idle
                    backend.post(lambda: ran.append(threading.get_ident()))

                thread = _start(produce)
                runner(backend, lambda ran=ran: ran, self.wake_timeout)  # type: ignore[misc]
                _join(thread)
                if not ran and dispatcher.closed:
                    pytest.fail(
                        f"the dispatcher closed while {label} ran, with no close() and the app "
                        "still there: leaving the loop must not end the app (a run_loop that "
                        "quits the application closes the dispatcher after its first run)"
                    )
                if not ran:
                    pytest.fail(
                        f"a post from a worker while {label} sat idle never ran within "
                        f"{self.wake_timeout} s: the wake-up was not real (post() must wake the "
                        "loop it is waiting in; a wake() that does nothing passes only in a "
                        "loop that pumps every frame)"
                    )
                _on_main(ran[0], main, "a worker's post")

    def test_a_post_made_while_a_drain_runs_is_never_lost(self, dispatcher: ud.Dispatcher) -> None:
        """Posts made while a drain runs (by a worker, and by the callback) run on a later turn.

        Forced race, many rounds: a callback in the drain lets a worker post and waits for
        it (the post lands mid-drain), or lets it go and returns (the post races the
        drain's end). A backend that clears its "wake-up in flight" flag after the drain
        instead of before loses that post in a loop blocked waiting for events.
        """
        backend = dispatcher.backend
        main = threading.get_ident()
        for label, runner in self._loops(dispatcher):
            for i in range(12):
                out: dict[str, int] = {}
                go, posted = threading.Event(), threading.Event()

                def worker(
                    out: dict[str, int] = out,
                    go: threading.Event = go,
                    posted: threading.Event = posted,
                ) -> None:
                    go.wait(10)
                    backend.post(lambda: out.setdefault("worker post", threading.get_ident()))
                    dispatcher.call_soon(out.setdefault, "worker call_soon", 0)
                    posted.set()

                def in_drain(
                    i: int = i,
                    out: dict[str, int] = out,
                    go: threading.Event = go,
                    posted: threading.Event = posted,
                ) -> None:
                    backend.post(lambda: out.setdefault("re-post", threading.get_ident()))
                    go.set()
                    if i % 2 == 0:
                        posted.wait(10)  # the worker's posts land while this drain runs

                thread = _start(worker)
                backend.post(in_drain)
                runner(backend, lambda out=out: len(out) == 3, self.wake_timeout)  # type: ignore[misc]
                _join(thread)
                missing = {"worker post", "worker call_soon", "re-post"} - set(out)
                if missing:
                    when = "while a drain ran" if i % 2 == 0 else "as a drain ended"
                    lost = ", ".join(sorted(missing))
                    pytest.fail(
                        f"round {i + 1}: a call posted {when} never ran ({lost}, {label}, "
                        f"{self.wake_timeout} s): the wake-up was lost (clear the "
                        "'wake-up in flight' flag before running the queue, and wake again "
                        "for what is left)"
                    )
                _on_main(out["worker post"], main, "a post made during a drain")

    def test_timers_are_never_early_whatever_the_loops_pace(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """Timers fire no earlier than their delay, by the backend's clock and ``time.monotonic``.

        A frame loop runs due timers once per frame, so its lateness can hide a timer that
        fires a few ms early. Eleven timers 4 ms apart sample every phase of the frame: a
        frame always falls inside some timer's early window, so an early timer cannot hide
        behind the loop's pace, and lateness never counts against a timer.
        """
        backend = dispatcher.backend
        delays = [0.020 + 0.004 * i for i in range(11)]
        for label, runner in self._loops(dispatcher):
            fired: dict[float, tuple[float, float]] = {}

            def fire(delay: float, fired: dict[float, tuple[float, float]] = fired) -> None:
                fired[delay] = (now(backend), time.monotonic())

            clock_start, mono_start = now(backend), time.monotonic()
            for delay in delays:
                backend.call_later(delay, functools.partial(fire, delay))
            runner(backend, lambda fired=fired: len(fired) == len(delays), self.patience)  # type: ignore[misc]
            assert len(fired) == len(delays), (
                f"only {len(fired)} of {len(delays)} timers fired within {self.patience} s "
                f"in {label}"
            )
            for delay, (clock_at, mono_at) in sorted(fired.items()):
                early = clock_start + delay - clock_at
                if not is_virtual(backend):
                    early = max(early, mono_start + delay - mono_at)
                if early > self.timer_tolerance:
                    pytest.fail(
                        f"a {delay * 1000:.0f} ms timer fired {early * 1000:.1f} ms early in "
                        f"{label}: a timer may be late, never early (tolerance "
                        f"{self.timer_tolerance * 1000:.1f} ms)"
                    )

    def test_a_timer_cancelled_by_one_due_with_it_never_fires(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """A timer cancelled by another timer due at the same moment never fires."""
        backend = dispatcher.backend
        out: list[str] = []
        victim: list[ud.TimerHandle] = []

        def first() -> None:
            out.append("first")
            victim[0].cancel()

        backend.call_later(0.01, first)
        victim.append(backend.call_later(0.01, lambda: out.append("cancelled")))
        backend.call_later(0.03, lambda: out.append("sentinel"))
        label, runner = self._loops(dispatcher)[-1]
        runner(backend, lambda: "sentinel" in out, self.patience)
        assert out == ["first", "sentinel"], (
            f"{out} in {label}: a cancelled timer fired (nothing fires after cancel())"
        )

    def test_nothing_runs_after_close_from_a_worker(self, dispatcher: ud.Dispatcher) -> None:
        """After ``close()`` (from a worker) no post and no timer runs, in any loop.

        The loops run after the close: a ``run_loop`` whose app went with the backend (a
        loop the backend owned and closed) returns at once, as ``run_asyncio_loop`` does.
        """
        backend = dispatcher.backend
        ran: list[str] = []
        backend.call_later(0.0, lambda: ran.append("a 0 ms timer"))
        backend.call_later(0.02, lambda: ran.append("a 20 ms timer"))
        backend.post(lambda: ran.append("a post"))
        _join(_start(dispatcher.close))
        for label, runner in self._loops(dispatcher):
            runner(backend, lambda: ran, 0.1)
            if ran:
                pytest.fail(
                    f"{', '.join(ran)} ran after close() in {label}: a closed backend runs "
                    "nothing (close() releases its timers and wake-ups, from any thread)"
                )

    def test_main_thread_only_calls_stay_on_the_main_thread(
        self, dispatcher: ud.Dispatcher
    ) -> None:
        """Workers use only ``post`` and ``close``; timers and pumping stay on the main thread.

        A dispatcher on a thread-recording wrapper takes calls, timers and a cancel from
        workers and is closed from one; every ``call_later`` / ``cancel`` /
        ``process_events`` the backend receives, and every call into a ``TimerHeap`` it
        holds (its toolkit timer), must come from the main thread.
        """
        backend = dispatcher.backend
        main = threading.get_ident()
        recorder = ThreadRecordingBackend(backend)
        d = ud.Dispatcher(recorder)
        out: list[str] = []

        def work() -> None:
            for i in range(20):
                d.call_soon(out.append, f"call {i}")
            d.call_later(0.01, out.append, "worker timer")
            d.call_later(0.01, out.append, "cancelled").cancel()

        d.call_later(0.01, out.append, "main timer")
        _join(_start(work))
        label, runner = self._loops(dispatcher)[-1]
        runner(backend, lambda: len(out) == 22, self.patience)
        assert sorted(out)[-2:] == ["main timer", "worker timer"], f"{out} ran in {label}"
        recorder.process_events(0.0)
        _join(_start(d.close))
        wrong = [(e, t) for e, t in recorder.off_main(main)]
        wrong += [
            (f"{attr}.{e} (its toolkit timer)", t)
            for attr, e, t in heap_callers(backend)
            if t != main
        ]
        if wrong:
            pytest.fail(
                "; ".join(
                    f"{entry} ran on thread {thread_name(t)}, not the main thread "
                    f"{thread_name(main)}"
                    for entry, t in wrong
                )
                + ": main-thread-only state touched from a worker"
            )


def _on_main(ident: int, main: int, what: str) -> None:
    if ident != main:
        pytest.fail(
            f"{what} drained on thread {thread_name(ident)}, not the main thread "
            f"{thread_name(main)}: posts run on the main thread only"
        )
