"""Per-operation stats, pool.report(), and the error cooldown (off by default, once per task)."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Iterator

import pytest

import uidispatch as ud
from uidispatch._backends._virtual import VirtualBackend
from uidispatch._services._opstats import (
    MAX_OPERATIONS,
    OTHER,
    WINDOW,
    Operation,
    OperationBook,
)

WAIT = 5.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True, cancel_running=True)


def fetch_user(n: int) -> int:
    return n


def flaky_save(fail: list[int]) -> str:
    if fail:
        fail.pop()
        raise OSError("disk full")
    return "saved"


def hold(started: threading.Event, gate: threading.Event) -> None:
    started.set()
    gate.wait(WAIT)


def test_operations_are_counted_by_task_name(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    for i in range(3):
        pool.submit(fetch_user, i).result(WAIT)
    pool.submit(flaky_save, [1], retries=1, backoff=0).result(WAIT)
    with pytest.raises(OSError, match="disk full"):
        pool.submit(flaky_save, [1, 1]).result(WAIT)
    started, gate = threading.Event(), threading.Event()
    blocked = pool.submit(hold, started, gate)
    assert started.wait(WAIT)
    queued_then_cancelled = pool.submit(fetch_user, 9)  # behind hold(): one worker
    assert queued_then_cancelled.cancel()
    ops = pool.stats().operations
    user = ops["fetch_user"]
    assert (user.submitted, user.succeeded, user.failed, user.cancelled) == (4, 3, 0, 1)
    assert user.last_error is None
    save = ops["flaky_save"]
    assert (save.submitted, save.succeeded, save.failed, save.retried) == (2, 1, 1, 1)
    assert save.last_error == "OSError: disk full"
    assert ops["hold"].running == 1
    gate.set()
    blocked.result(WAIT)
    assert pool.stats().operations["hold"].running == 0
    assert 0 < user.p50_s <= user.p95_s <= user.max_s
    assert user.mean_s > 0
    assert pool.shutdown(timeout=WAIT)


def test_timeouts_count_as_failed_and_timed_out(pool: ud.Pool) -> None:
    gate = threading.Event()
    task = pool.submit(gate.wait, WAIT, timeout=0.01)
    with pytest.raises(ud.TaskTimeout):
        task.result(WAIT)
    gate.set()
    op = pool.stats().operations["Event.wait"]
    assert (op.failed, op.timed_out) == (1, 1)
    assert op.last_error is not None
    assert op.last_error.startswith("TaskTimeout: ")


def test_operation_stats_is_a_frozen_dataclass_with_the_contract_fields() -> None:
    names = [f.name for f in dataclasses.fields(ud.OperationStats)]
    assert names == [
        "name", "submitted", "succeeded", "failed", "cancelled", "timed_out", "retried",
        "running", "mean_s", "p50_s", "p95_s", "max_s", "last_error",
    ]  # fmt: skip
    stats = Operation("x").snapshot()
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.failed = 3  # type: ignore[misc]


def test_percentiles_cover_a_bounded_window_of_recent_attempts() -> None:
    op = Operation("x")
    for i in range(1, 101):
        op.ran(i / 100)
    s = op.snapshot()
    assert (s.p50_s, s.p95_s, s.max_s) == (0.5, 0.95, 1.0)
    assert s.mean_s == pytest.approx(0.505)
    for _ in range(10_000):
        op.ran(2.0)
    assert len(op.recent) == WINDOW  # constant memory, however long the app runs
    s = op.snapshot()
    assert (s.p50_s, s.p95_s, s.max_s) == (2.0, 2.0, 2.0)
    assert s.mean_s == pytest.approx((50.5 + 20_000) / 10_100)


def test_the_number_of_operations_is_bounded() -> None:
    book = OperationBook()
    for i in range(MAX_OPERATIONS + 50):
        book.get(f"op{i}").submitted += 1
    snap = book.snapshot()
    assert len(snap) == MAX_OPERATIONS + 1
    assert snap[OTHER].submitted == 50


def test_report_lists_operations_slowest_first_then_pool_and_dispatcher(pool: ud.Pool) -> None:
    pool.submit(abs, -1).result(WAIT)
    pool.submit(time.sleep, 0.05).result(WAIT)
    with pytest.raises(OSError, match="disk full"):
        pool.submit(flaky_save, [1]).result(WAIT)
    report = pool.report()
    lines = report.splitlines()
    assert lines[0] == "uidispatch pool 'uidispatch-pool': 3 operation(s)"
    assert lines[1].split()[:4] == ["operation", "calls", "ok", "failed"]
    assert lines[2].startswith("sleep ")  # the slowest first
    row = next(line for line in lines if line.startswith("flaky_save"))
    assert row.endswith("OSError: disk full")
    assert lines[-2].startswith("pool: 3 submitted, 2 done, 1 failed")
    assert lines[-1].startswith("dispatcher (open): ")


NASTY = [
    "line one\nforged row  1  1  0",  # a newline would split the row, or forge one
    "\x1b[31mred\x1b[0m and a carriage\rreturn",  # escapes and CR reach a terminal or log
    "NUL\x00 and U+2028\u2028",
    "not UTF-8: \udcff.txt",  # a surrogate from a file name os.fsdecode could not decode
]


@pytest.mark.parametrize("text", NASTY)
def test_report_rows_stay_one_printable_line_whatever_the_name_or_error(
    pool: ud.Pool, text: str
) -> None:
    def fail() -> None:
        raise ValueError(text)

    with pytest.raises(ValueError, match=re.escape(text[:4])):
        pool.submit(fail, name=text).result(WAIT)
    report = pool.report()
    report.encode("utf-8")  # encodable: a surrogate is shown escaped
    lines = report.splitlines()
    assert len(lines) == 5  # title, header, the one row, pool, dispatcher
    assert all(line.isprintable() for line in lines)
    assert lines[2].startswith(text.encode("unicode_escape").decode("ascii")[:20])


def test_report_of_an_unused_pool_says_so() -> None:
    pool = ud.Pool(max_workers=1)
    assert pool.report().splitlines() == [
        "uidispatch pool 'uidispatch-pool': 0 operation(s)",
        "(no task submitted yet)",
        "pool: 0 submitted, 0 done, 0 failed, 0 cancelled, 0 retried; 0 running, "
        "0 queued (max 0); 0 worker thread(s)",
        "dispatcher: none bound yet",
    ]


# ---------------------------------------------------------------------- error cooldown


def _fail() -> None:
    raise OSError("service down")


def test_the_error_cooldown_is_off_by_default(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    for _ in range(20):
        with pytest.raises(OSError, match="service down"):
            pool.submit(_fail).result(WAIT)
    assert not pool.paused
    assert pool.submit(abs, -1).result(WAIT) == 1
    pool.shutdown()


def test_the_default_pool_is_not_paused_by_unrelated_failures() -> None:
    for _ in range(10):
        with pytest.raises(OSError, match="service down"):
            ud.submit(_fail).result(WAIT)
    assert ud.submit(abs, -2).result(WAIT) == 2
    assert ud.shutdown(timeout=WAIT)


def test_a_retried_task_counts_once_toward_the_cooldown(virtual_dispatcher: ud.Dispatcher) -> None:
    pool = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher, max_errors=2)
    with pytest.raises(OSError, match="service down"):
        pool.submit(_fail, retries=6, backoff=0).result(WAIT)
    assert not pool.paused  # seven failed attempts, one failed task
    with pytest.raises(OSError, match="service down"):
        pool.submit(_fail).result(WAIT)
    assert pool.paused
    pool.shutdown(cancel_pending=True)


def test_report_after_the_apps_dispatcher_closed_says_what_it_did() -> None:
    d = ud.Dispatcher(VirtualBackend())
    ud.use(d)
    pool = ud.Pool(max_workers=1)  # no dispatcher=: the app's, looked up when needed
    try:
        pool.submit(abs, -1, on_done=lambda _: None).result(WAIT)
        assert d.run_until(lambda: d.stats().executed >= 1, WAIT)
        d.close()
        last = pool.report().splitlines()[-1]
        assert last.startswith("dispatcher (closed with its app): ")
        assert " 0 pending" in last
    finally:
        ud.use(None)
        pool.shutdown()
