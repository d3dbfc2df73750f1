"""Task metadata and lookup: name, metadata, timestamps, pool.tasks(), pool.get()."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

import uidispatch as ud

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


def fetch_rows() -> int:
    return 1


def test_name_defaults_to_the_qualified_name_and_can_be_given(pool: ud.Pool) -> None:
    assert pool.submit(fetch_rows).name == "fetch_rows"
    assert pool.submit(fetch_rows, name="rows").name == "rows"


def test_metadata_is_a_read_only_copy(pool: ud.Pool) -> None:
    given = {"row": 3}
    task = pool.submit(fetch_rows, metadata=given)
    given["row"] = 4
    assert task.metadata == {"row": 3}
    with pytest.raises(TypeError):
        task.metadata["row"] = 5  # type: ignore[index]
    assert pool.submit(fetch_rows).metadata == {}


def test_bad_name_and_metadata_fail_at_the_call_site(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match=r"name must be a str or None, got 3"):
        pool.submit(fetch_rows, name=3)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"metadata must be a mapping \(a dict\) or None, got \[1\]"
    ):
        pool.submit(fetch_rows, metadata=[1])  # type: ignore[arg-type]
    assert pool.stats().submitted == 0


def test_timestamps_are_monotonic_and_none_until_reached(pool: ud.Pool) -> None:
    gate = threading.Event()
    before = time.monotonic()
    blocker = pool.submit(gate.wait, WAIT)
    queued = pool.submit(fetch_rows)
    assert before <= blocker.created_at <= queued.created_at
    assert queued.started_at is None
    assert queued.finished_at is None
    gate.set()
    queued.result(WAIT)
    assert blocker.started_at is not None
    assert queued.started_at is not None
    assert queued.finished_at is not None
    assert queued.created_at <= queued.started_at <= queued.finished_at
    assert blocker.finished_at is not None
    assert blocker.finished_at <= queued.started_at


def test_a_task_cancelled_before_it_started_has_no_start_time(pool: ud.Pool) -> None:
    gate = threading.Event()
    blocker = pool.submit(gate.wait, WAIT)
    queued = pool.submit(fetch_rows)
    queued.cancel()
    gate.set()
    blocker.result(WAIT)
    assert queued.started_at is None
    assert queued.finished_at is not None


def test_tasks_lists_pending_and_running_oldest_first_and_get_finds_them(pool: ud.Pool) -> None:
    gate = threading.Event()
    running = pool.submit(gate.wait, WAIT)
    pending = [pool.submit(fetch_rows) for _ in range(3)]
    assert pool.tasks() == [running, *pending]
    assert pool.get(pending[1].id) is pending[1]
    pending[1].cancel()
    assert pool.tasks() == [running, pending[0], pending[2]]
    assert pool.get(pending[1].id) is None
    gate.set()
    for task in (running, pending[0], pending[2]):
        task.result(WAIT)
    assert pool.tasks() == []
    assert pool.get(running.id) is None
    assert pool.get(-1) is None
