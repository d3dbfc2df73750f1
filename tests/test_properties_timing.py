"""throttle and debounce on virtual time against a plain reference model (hypothesis).

Each machine drives a decorated function with calls, ``cancel()`` and ``flush()`` from the
main thread or from workers (marshalled in order, run when the loop next turns) and with
``advance``, and checks after every step that the function ran at exactly the times and
with exactly the arguments the model says, and that ``pending`` agrees. Time moves in
steps of 1/64 s, exactly representable, so the model's integer arithmetic and the
backend's float clock never disagree by rounding.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import uidispatch as ud
from uidispatch._backends._virtual import VirtualBackend

UNIT = 1 / 64  # seconds per model tick


class ThrottleModel:
    """At most one call per window; leading runs at once, trailing runs the latest at the end."""

    def __init__(self, interval: int, leading: bool, trailing: bool) -> None:
        self.w, self.leading, self.trailing = interval, leading, trailing
        self.timer: int | None = None  # when the open window ends
        self.pending: int | None = None
        self.calls: list[tuple[int, int]] = []

    def advance_to(self, t: int) -> None:
        while self.timer is not None and self.timer <= t:
            end, self.timer = self.timer, None
            if self.pending is not None:  # trailing edge: run the latest, open a new window
                self.calls.append((end, self.pending))
                self.pending = None
                self.timer = end + self.w

    def call(self, t: int, x: int) -> None:
        if self.timer is None:
            self.timer = t + self.w
            if self.leading:
                self.calls.append((t, x))
            else:
                self.pending = x
        elif self.trailing:
            self.pending = x

    def cancel(self) -> None:
        self.timer = self.pending = None

    def flush(self, t: int) -> None:
        if self.pending is not None:  # counts as this window's call: a new window opens
            self.calls.append((t, self.pending))
            self.pending = None
            self.timer = t + self.w


class DebounceModel:
    """Run the latest call once calls stop for ``wait`` (or ``max_wait`` after a burst began).

    With ``leading`` the call that starts a burst runs at once, and each run starts a new
    quiet period (psygnal's ``debounced(leading=True)``): the burst ends, and the next
    call is a leading edge again, once ``wait`` passed with no call and no run.
    """

    def __init__(self, wait: int, max_wait: int | None, leading: bool = False) -> None:
        self.w, self.max_wait, self.leading = wait, max_wait, leading
        self.active = False  # a burst is on: its quiet period has not passed
        self.pending: int | None = None
        self.first = self.last = 0  # max_wait counts from first; the quiet period from last
        self.calls: list[tuple[int, int]] = []

    def due(self) -> int:
        due = self.last + self.w
        if self.pending is not None and self.max_wait is not None:
            due = min(due, self.first + self.max_wait)
        return due

    def advance_to(self, t: int) -> None:
        while self.active and self.due() <= t:
            end = self.due()
            if self.pending is None:
                self.active = False  # quiet for wait: the burst is over
            else:
                self.calls.append((end, self.pending))
                self.pending = None
                self._ran(end)

    def _ran(self, t: int) -> None:
        if self.leading:
            self.first = self.last = t  # the run starts a new quiet period
        else:
            self.active = False

    def call(self, t: int, x: int) -> None:
        if not self.active:
            self.active = True
            self.first = self.last = t
            if self.leading:
                self.calls.append((t, x))
                return
        self.pending, self.last = x, t

    def cancel(self) -> None:
        self.pending = None
        self.active = False

    def flush(self, t: int) -> None:
        if self.pending is not None:
            self.calls.append((t, self.pending))
            self.pending = None
            self._ran(t)


class TimingMachine(RuleBasedStateMachine):
    model: ThrottleModel | DebounceModel

    def __init__(self) -> None:
        super().__init__()
        self.backend = VirtualBackend()
        self.d = ud.Dispatcher(self.backend)
        # The drain budget is real time (8 ms): a drain preempted under load stopped
        # mid-inbox and left the rest for a later loop turn than the model's. One drain
        # runs everything queued, as in test_properties_queue.
        self.d.configure(budget=60.0)
        self.errors: list[BaseException] = []
        self.d.error_handler = lambda exc, cb: self.errors.append(exc)
        self.t = 0
        self.next_arg = 0
        self.ran: list[tuple[int, int]] = []
        self.inbox = []

    def record(self, x: int) -> None:
        assert self.backend.is_main_thread()
        self.ran.append((round(self.backend.now() / UNIT), x))

    # Calls, cancel() and flush() from a worker are marshalled to the main thread in
    # order; they wait in the dispatcher (and in this inbox) until the loop runs.
    inbox: list[tuple[str, int, int]]
    restarted = False  # cancel() or flush() happened: the next call may come sooner

    def _apply(self, op: str, t: int, x: int) -> None:
        if op == "call":
            self.model.call(t, x)
        elif op == "cancel":
            self.restarted = True
            self.model.cancel()
        else:
            self.restarted = True
            self.model.flush(t)

    def _apply_inbox(self) -> None:
        inbox, self.inbox = self.inbox, []
        for op in inbox:
            self._apply(*op)

    def _in_a_worker(self, fn: Callable[[], object]) -> None:
        worker = threading.Thread(target=fn)
        worker.start()
        worker.join(5)
        assert not worker.is_alive()

    @rule(ticks=st.integers(0, 12))
    def advance(self, ticks: int) -> None:
        # The loop runs what was marshalled first (virtual time has not moved since the
        # workers called, so their calls count from then), then the timers fall due.
        self._apply_inbox()
        self.t += ticks
        self.backend.advance(ticks * UNIT)
        self.model.advance_to(self.t)

    @rule()
    def run_the_loop_once(self) -> None:
        self.backend.run_ready()
        self._apply_inbox()

    @rule()
    def call(self) -> None:
        self.next_arg += 1
        self.fn(self.next_arg)
        self._apply("call", self.t, self.next_arg)

    @rule()
    def call_from_a_worker(self) -> None:
        self.next_arg += 1
        x = self.next_arg
        self._in_a_worker(lambda: self.fn(x))
        self.inbox.append(("call", self.t, x))

    @rule()
    def cancel(self) -> None:
        self.fn.cancel()
        self._apply("cancel", self.t, 0)

    @rule()
    def cancel_from_a_worker(self) -> None:
        self._in_a_worker(self.fn.cancel)
        self.inbox.append(("cancel", self.t, 0))

    @rule()
    def flush(self) -> None:
        self.fn.flush()
        self._apply("flush", self.t, 0)

    @rule()
    def flush_from_a_worker(self) -> None:
        self._in_a_worker(self.fn.flush)
        self.inbox.append(("flush", self.t, 0))

    @invariant()
    def ran_exactly_when_and_with_what_the_model_says(self) -> None:
        assert self.ran == self.model.calls
        assert self.fn.pending == (self.model.pending is not None)
        assert self.errors == []

    def teardown(self) -> None:
        self.d.close()


class ThrottleMachine(TimingMachine):
    @initialize(
        interval=st.integers(1, 8),
        edges=st.sampled_from([(True, True), (True, False), (False, True)]),
    )
    def decorate(self, interval: int, edges: tuple[bool, bool]) -> None:
        leading, trailing = edges
        self.model = ThrottleModel(interval, leading, trailing)
        self.fn = ud.throttle(
            interval * UNIT, leading=leading, trailing=trailing, dispatcher=self.d
        )(self.record)

    @invariant()
    def calls_are_at_least_an_interval_apart_unless_flushed_or_cancelled(self) -> None:
        # Implied by the model; stated on its own as the promise users rely on. cancel()
        # starts afresh and flush() runs at once, by design: both may shorten a gap.
        if not self.restarted:
            times = [t for t, _ in self.ran]
            assert all(b - a >= self.model.w for a, b in itertools.pairwise(times))


class DebounceMachine(TimingMachine):
    @initialize(wait=st.integers(1, 8), extra=st.none() | st.integers(0, 8), leading=st.booleans())
    def decorate(self, wait: int, extra: int | None, leading: bool) -> None:
        max_wait = None if extra is None else wait + extra
        self.model = DebounceModel(wait, max_wait, leading)
        self.fn = ud.debounce(
            wait * UNIT,
            max_wait=None if max_wait is None else max_wait * UNIT,
            leading=leading,
            dispatcher=self.d,
        )(self.record)

    @invariant()
    def runs_are_at_least_wait_apart_unless_flushed_or_cancelled(self) -> None:
        # Leading or not, a run ends a quiet period or starts one: the next is wait later.
        if not self.restarted:
            times = [t for t, _ in self.ran]
            assert all(b - a >= self.model.w for a, b in itertools.pairwise(times))


SETTINGS = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ThrottleMachine.TestCase.settings = SETTINGS
DebounceMachine.TestCase.settings = SETTINGS
test_throttle_matches_the_reference_model = ThrottleMachine.TestCase
test_debounce_matches_the_reference_model = DebounceMachine.TestCase
