"""Closing the window while pool tasks still report: callbacks dropped quietly and counted."""

from __future__ import annotations

import logging
import threading
import tkinter
from collections.abc import Callable

import pytest

import uidispatch as ud
from uidispatch._work._default import default_pool

AFTER = 40  # progress reports made after the window closed


@pytest.mark.parametrize("with_owner", [False, True], ids=["no-owner", "owner"])
@pytest.mark.parametrize("pool_kind", ["Pool()", "ud.submit"])
def test_closing_the_window_under_a_reporting_task_drops_its_callbacks_quietly(
    root: tkinter.Tk,
    mainloop: Callable[..., bool],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    with_owner: bool,
    pool_kind: str,
) -> None:
    # Before: after the window closed, each report looked the dispatcher up again, found
    # no Tk root and logged a NoBackendDetected traceback (82 of them in the run).
    caplog.set_level(logging.DEBUG, logger="uidispatch")
    label = tkinter.Label(root)
    found: list[ud.Dispatcher] = []
    root.after(0, lambda: found.append(ud.get_dispatcher()))  # the quickstart's auto-detection
    assert mainloop(root, lambda: found)
    pool = ud.Pool(max_workers=1) if pool_kind == "Pool()" else default_pool()
    before = pool.stats().dropped_callbacks
    reported, closed = threading.Event(), threading.Event()
    seen: list[object] = []

    def work() -> str:
        for i in range(5):
            ud.report_progress(i, "before")
        reported.set()
        assert closed.wait(30)
        for i in range(AFTER):
            ud.report_progress(i, "after")
        return "result"

    submit = pool.submit if pool_kind == "Pool()" else ud.submit
    task = submit(
        work,
        on_progress=lambda value, message: seen.append(message),
        on_done=seen.append,
        owner=label if with_owner else None,
    )
    assert mainloop(root, lambda: reported.is_set() and seen)
    root.destroy()
    assert found[0].closed
    closed.set()
    assert task.result(30) == "result"
    if pool_kind == "Pool()":
        pool.shutdown(wait=True)
    assert "after" not in seen
    assert "result" not in seen
    assert pool.stats().dropped_callbacks - before == AFTER + 1  # the reports and on_done
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "Traceback" not in capfd.readouterr().err


def test_a_task_bound_to_a_closed_window_never_delivers_to_the_next_one(
    make_root: Callable[[], tkinter.Tk], mainloop: Callable[..., bool]
) -> None:
    first = make_root()
    ud.get_dispatcher()
    pool = ud.Pool(max_workers=1)
    go = threading.Event()
    seen: list[object] = []
    task = pool.submit(go.wait, 30, on_done=seen.append)
    first.destroy()
    second = make_root()
    fresh = ud.get_dispatcher()
    assert fresh.backend._root is second  # type: ignore[attr-defined]
    go.set()
    assert task.result(30) is True
    later = pool.submit(lambda: "next", on_done=seen.append)
    assert mainloop(second, lambda: seen)
    pool.shutdown(wait=True)
    # The first task's on_done belonged to the closed window; the next task's runs.
    assert seen == ["next"]
    assert later.done()
    assert pool.stats().dropped_callbacks == 1
