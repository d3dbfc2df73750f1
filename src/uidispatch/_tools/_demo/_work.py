"""The demo's toolkit-neutral parts: the background work, the word list, the stats text."""

from __future__ import annotations

import builtins
import keyword
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import uidispatch as ud

__all__ = [
    "TASKS",
    "WORDS",
    "crunch",
    "flood",
    "format_stats",
    "slow_search",
]

# (name, steps, seconds per step): the last one outlives the self-test, so a screenshot
# taken at its end shows a bar in motion.
TASKS: tuple[tuple[str, int, float], ...] = (
    ("resize photos", 30, 0.04),
    ("index mailbox", 50, 0.05),
    ("export report", 60, 0.05),
    ("train model", 300, 0.05),
)

WORDS: tuple[str, ...] = tuple(
    sorted(
        {w for w in dir(builtins) if not w.startswith("_")}
        | set(keyword.kwlist)
        | {m for m in getattr(sys, "stdlib_module_names", ()) if not m.startswith("_")}
    )
)
"""What the slow search looks through: Python's builtins, keywords and stdlib modules."""


def crunch(steps: int, seconds_per_step: float) -> str:
    """A background task: sleeps in steps, reporting progress and honouring cancel.

    Runs on a pool worker; ``report_progress`` is coalesced (latest wins), so however fast
    it reports, the UI sees at most one update per drain.
    """
    pause = threading.Event()
    for i in range(steps):
        ud.check_cancelled()
        pause.wait(seconds_per_step)  # stands in for real work that releases the GIL
        ud.report_progress((i + 1) / steps, f"step {i + 1}/{steps}")
    return f"{steps} steps done"


def slow_search(query: str, delay: float = 0.8) -> tuple[str, ...]:
    """A deliberately slow search over :data:`WORDS` (a stand-in for a database query)."""
    pause = threading.Event()
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        ud.check_cancelled()  # a newer keystroke cancels this search
        pause.wait(0.02)
    q = query.strip().lower()
    if not q:
        return ()
    return tuple(w for w in WORDS if q in w.lower())


def flood(
    dispatcher: ud.Dispatcher,
    fn: Callable[..., object],
    n: int,
    *,
    key: object = None,
    on_finished: Callable[[float], object] | None = None,
) -> threading.Thread:
    """Post ``fn(i)`` ``n`` times from a new worker thread, flat out; return the thread.

    With ``key`` every call shares one coalescing key, so pending updates are replaced in
    place (latest wins) instead of queueing. ``on_finished(seconds)`` is posted last.
    """

    def produce() -> None:
        call_soon = dispatcher.call_soon
        t0 = time.perf_counter()
        try:
            if key is None:
                for i in range(n):
                    call_soon(fn, i)
            else:
                for i in range(n):
                    call_soon(fn, i, key=key)
        except ud.DispatcherClosed:
            return  # the window closed mid-flood
        if on_finished is not None:
            call_soon(on_finished, time.perf_counter() - t0)

    thread = threading.Thread(target=produce, name="uidispatch-demo-flood", daemon=True)
    thread.start()
    return thread


def format_stats(stats: ud.DispatchStats, pool: Any = None) -> list[tuple[str, str]]:
    """The live stats panel's rows: (label, value)."""
    rows = [
        ("queue depth", f"{stats.pending:,}  (peak {stats.max_pending:,})"),
        ("posted / executed", f"{stats.posted:,} / {stats.executed:,}"),
        ("coalesced", f"{stats.coalesced:,}"),
        ("dropped", f"{stats.dropped:,}"),
        ("drains (wake-ups)", f"{stats.drains:,}"),
        ("longest drain", f"{stats.max_drain_ms:.1f} ms"),
    ]
    rows.append(
        ("wake latency p50 / p99", f"{stats.latency_p50_ms:.2f} / {stats.latency_p99_ms:.2f} ms")
    )
    if stats.slowest:
        name, ms = stats.slowest[0]
        rows.append(("slowest callback", f"{_short(name)} {ms:.0f} ms"))
    else:
        rows.append(("slowest callback", "none over 1 ms"))
    if pool is not None:
        try:
            ps = pool.stats()
            rows.append(
                (
                    "pool running / queued / done",
                    f"{ps.running} / {ps.queued} / {ps.completed}  (cancelled {ps.cancelled})",
                )
            )
            # Always a row (views lay out the rows they are first given).
            slowest = max(ps.operations.values(), key=lambda o: o.p95_s, default=None)
            rows.append(
                ("slowest operation (p95)", "-" if slowest is None else _operation(slowest))
            )
        except (AttributeError, NotImplementedError):
            pass
    return rows


def _operation(op: Any) -> str:
    """One operation of ``pool.stats().operations`` in a stats row."""
    text = f"{_short(op.name, 16)} {op.p95_s:.2f} s  ({op.succeeded} ok"
    if op.cancelled:
        text += f", {op.cancelled} cancelled"
    if op.failed:
        text += f", {op.failed} failed"
    return text + ")"


_CALLABLE_NAME = re.compile(r"<(?:bound method|function|built-in method) ([\w.<>]+)")


def _short(name: str, limit: int = 28) -> str:
    # A partial's repr holds the wrapped function's name: show that, not the repr.
    found = _CALLABLE_NAME.search(name)
    if found:
        name = found.group(1)
    return name if len(name) <= limit else "..." + name[-(limit - 3) :]
