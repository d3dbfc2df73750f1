"""The main-thread queue against a plain reference model (hypothesis stateful testing).

The model is a list per priority and a dict of pending keys; it states the contract of
DESIGN.md directly: the highest non-empty lane first and FIFO within a lane (a callback's
own posts included), coalescing keys replacing callable, arguments and owner in place,
dead or destroyed owners skipped and counted, ``max_pending`` with each overflow policy,
``close()`` running or dropping what is pending, and, after every step,
``posted == executed + coalesced + dropped + pending`` with each counter equal to the
model's.
"""

from __future__ import annotations

import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import uidispatch as ud
from uidispatch._backends._virtual import VirtualBackend

PRIORITIES = list(ud.Priority)
KEYS = [None, "k0", "k1", "k2"]
SLOTS = 3


class Widget:
    pass


@dataclass
class Entry:
    id: int
    lane: int
    key: str | None
    owner: tuple[int, int] | None  # (slot, generation): a widget identity in the model
    child: int | None  # priority of the call this callback posts when it runs


class QueueModel:
    """What the queue must do, written as plainly as possible."""

    def __init__(self) -> None:
        self.lanes: list[deque[Entry]] = [deque() for _ in PRIORITIES]
        self.keyed: dict[str, Entry] = {}
        self.dead: set[tuple[int, int]] = set()
        self.ran: list[int] = []
        self.posted = self.executed = self.coalesced = self.dropped = self.errors = 0
        self.max_pending: int | None = None
        self.overflow = "block"
        self.state = "open"  # "closing" while close(run_pending=True) drains

    @property
    def pending(self) -> int:
        return sum(map(len, self.lanes))

    def post(self, e: Entry, draining: bool) -> str:
        """Returns "ok", "closed" or "full" (what the real call must raise)."""
        if self.state != "open":
            return "closed"
        limit = self.max_pending
        if e.key is not None and e.key in self.keyed:  # coalescing needs no room
            old = self.keyed[e.key]
            old.id, old.owner, old.child = e.id, e.owner, e.child
            self.posted += 1
            self.coalesced += 1
            return "ok"
        if limit is not None and self.pending >= limit:
            if self.overflow == "raise":
                return "full"
            if self.overflow == "drop_oldest":
                while self.pending >= limit:
                    lane = next(lane for lane in reversed(self.lanes) if lane)
                    gone = lane.popleft()
                    if gone.key is not None:
                        del self.keyed[gone.key]
                    self.dropped += 1
            elif not draining:  # "block" on the main thread drains instead of waiting
                self.drain()
        self.posted += 1
        if e.key is not None:
            self.keyed[e.key] = e
        self.lanes[e.lane].append(e)
        return "ok"

    def drain(self) -> None:
        while True:
            lane = next((lane for lane in self.lanes if lane), None)
            if lane is None:
                return
            e = lane.popleft()
            if e.key is not None:
                del self.keyed[e.key]
            if e.owner is not None and e.owner in self.dead:
                self.dropped += 1
                continue
            self.executed += 1
            self.ran.append(e.id)
            if e.child is not None:
                outcome = self.post(Entry(-e.id, e.child, None, None, None), draining=True)
                if outcome != "ok":  # raised inside the callback: the error handler's
                    self.errors += 1

    def close(self, run_pending: bool) -> None:
        if self.state != "open":
            return
        if run_pending:
            self.state = "closing"
            self.drain()
        self.state = "closed"
        self.dropped += self.pending
        for lane in self.lanes:
            lane.clear()
        self.keyed.clear()


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.backend = VirtualBackend()
        self.d = ud.Dispatcher(self.backend)
        self.d.configure(budget=60.0)  # one drain runs everything: order is the subject
        self.caught: list[BaseException] = []
        self.d.error_handler = lambda exc, cb: self.caught.append(exc)
        self.model = QueueModel()
        self.ran: list[int] = []
        self.next_id = 1
        # Each slot holds a live widget; its generation changes when it is replaced.
        self.widgets: list[Widget] = [Widget() for _ in range(SLOTS)]
        self.generation = [0] * SLOTS

    def _callback(self, entry_id: int, child: int | None) -> Any:
        def run() -> None:
            self.ran.append(entry_id)
            if child is not None:
                self.d.call_soon(self._callback(-entry_id, None), priority=PRIORITIES[child])

        return run

    POST = st.tuples(
        st.integers(0, len(PRIORITIES) - 1),  # lane
        st.sampled_from(KEYS),
        st.none() | st.integers(0, SLOTS - 1),  # owner slot
        st.none() | st.integers(0, len(PRIORITIES) - 1),  # priority of a posted child
    )

    @initialize(
        max_pending=st.none() | st.integers(1, 6),
        overflow=st.sampled_from(["block", "drop_oldest", "raise"]),
    )
    def start_configured(self, max_pending: int | None, overflow: str) -> None:
        self.configure(max_pending, overflow)

    @rule(post=POST)
    def post(self, post: tuple[int, str | None, int | None, int | None]) -> None:
        self._post(*post)

    @rule(posts=st.lists(POST, min_size=2, max_size=10))
    def post_a_burst(self, posts: list[tuple[int, str | None, int | None, int | None]]) -> None:
        # Bursts fill the lanes and reach the bound far more often than single posts.
        for post in posts:
            self._post(*post)

    def _post(self, lane: int, key: str | None, slot: int | None, child: int | None) -> None:
        m = self.model
        entry_id = self.next_id
        self.next_id += 1
        owner = None if slot is None else (slot, self.generation[slot])
        expected = m.post(Entry(entry_id, lane, key, owner, child), draining=False)
        kwargs: dict[str, Any] = {"priority": PRIORITIES[lane], "key": key}
        if slot is not None:
            kwargs["owner"] = self.widgets[slot]
        fn = self._callback(entry_id, child)
        if expected == "closed":
            with pytest.raises(ud.DispatcherClosed):
                self.d.call_soon(fn, **kwargs)
        elif expected == "full":
            with pytest.raises(ud.QueueFull, match="max_pending="):
                self.d.call_soon(fn, **kwargs)
        else:
            self.d.call_soon(fn, **kwargs)

    @rule()
    def drain(self) -> None:
        self.backend.run_ready()
        if self.model.state == "open":
            self.model.drain()

    @rule(slot=st.integers(0, SLOTS - 1))
    def destroy_owner_in_the_toolkit(self, slot: int) -> None:
        self.backend.kill(self.widgets[slot])
        self.model.dead.add((slot, self.generation[slot]))

    @rule(slot=st.integers(0, SLOTS - 1))
    def collect_owner(self, slot: int) -> None:
        self.model.dead.add((slot, self.generation[slot]))
        old = weakref.ref(self.widgets[slot])
        self.widgets[slot] = Widget()  # the old one's last strong reference goes
        self.generation[slot] += 1
        # Reference counting frees it at once (no cycle): a gc.collect() per step would
        # cost more than the rest of the machine.
        assert old() is None

    @rule(
        max_pending=st.none() | st.integers(1, 6),
        overflow=st.sampled_from(["block", "drop_oldest", "raise"]),
    )
    def configure(self, max_pending: int | None, overflow: str) -> None:
        self.d.configure(max_pending=max_pending, overflow=overflow)
        self.model.max_pending, self.model.overflow = max_pending, overflow

    @precondition(lambda self: self.model.state == "open")
    @rule(run_pending=st.booleans())
    def close(self, run_pending: bool) -> None:
        self.d.close(run_pending=run_pending)
        self.model.close(run_pending)

    @invariant()
    def nothing_is_lost_and_every_counter_matches_the_model(self) -> None:
        s = self.d.stats()
        m = self.model
        assert s.posted == s.executed + s.coalesced + s.dropped + s.pending
        assert (s.posted, s.executed, s.coalesced, s.dropped, s.pending) == (
            m.posted,
            m.executed,
            m.coalesced,
            m.dropped,
            m.pending,
        )
        assert s.errors == m.errors == len(self.caught)

    @invariant()
    def callbacks_ran_in_the_model_order(self) -> None:
        assert self.ran == self.model.ran

    def teardown(self) -> None:
        self.d.close()


QueueMachine.TestCase.settings = settings(
    max_examples=250,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_queue_matches_the_reference_model = QueueMachine.TestCase


# ----------------------------------------------------------------- coalescing at the bound


def test_coalescing_post_into_a_full_queue_does_not_raise(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=2, overflow="raise")
    out: list[str] = []
    d.call_soon(out.append, "progress 1", key="progress")
    d.call_soon(out.append, "other")
    d.call_soon(out.append, "progress 2", key="progress")
    d.backend.process_events(0)
    assert out == ["progress 2", "other"]


def test_coalescing_post_into_a_full_queue_drops_nothing_and_keeps_position(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=2, overflow="drop_oldest")
    out: list[str] = []
    d.call_soon(out.append, "progress 1", key="progress")
    d.call_soon(out.append, "other")
    d.call_soon(out.append, "progress 2", key="progress")
    d.backend.process_events(0)
    assert out == ["progress 2", "other"]
    s = d.stats()
    assert (s.coalesced, s.dropped) == (1, 0)


def test_coalescing_post_on_the_main_thread_into_a_full_blocking_queue_merges_in_place(
    virtual_dispatcher: ud.Dispatcher,
) -> None:
    d = virtual_dispatcher
    d.configure(max_pending=2, overflow="block")
    out: list[str] = []
    d.call_soon(out.append, "progress 1", key="progress")
    d.call_soon(out.append, "other")
    d.call_soon(out.append, "progress 2", key="progress")
    assert out == []  # nothing needed room: nothing ran early
    d.backend.process_events(0)
    assert out == ["progress 2", "other"]
