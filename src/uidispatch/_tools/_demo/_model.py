"""The demo's state and actions, the same on every toolkit; a view only draws it.

:class:`DemoModel` owns the pool and its two operations (the search, the task rows), the
floods, the animation clock, the live stats, the stall watchdog and the async panel. It
runs on the main thread and tells its :class:`DemoView` what changed; its timers are
``d.call_later`` (the toolkit's own), so the same model runs under Tk, Qt, Kivy and a bare
asyncio loop. A panel is one method here and one widget per view: the busy spinner is
``pool.on_busy``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import uidispatch as ud

from ..._addons._watchdog import StallInfo
from ._async import AsyncPanel, AsyncView
from ._work import TASKS, crunch, flood, format_stats, slow_search

__all__ = ["FLOOD_CALLS", "STALL_INTERVAL", "DemoModel", "DemoView", "TaskRow", "plural"]

FLOOD_CALLS = 100_000
STALL_INTERVAL = 0.05
FRAME = 0.015  # the animation's timer period, seconds
STATS_PERIOD = 0.2
MAX_ROWS = 6
SPINNER = "|/-\\"
SPIN_PERIOD = 0.1


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 match"``, ``"2 matches"``: the count with its noun in the right number."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


@dataclass(eq=False)
class TaskRow:
    """One background task as the task panel shows it. Main thread only."""

    name: str
    steps: int
    value: float = 0.0
    status: str = "queued"
    outcome: str = "queued"  # queued, running, done, cancelled, failed
    task: Any = None
    owner: Any = field(default=None, repr=False)  # the view's widget: owner= of callbacks

    @property
    def finished(self) -> bool:
        """True once the task ended (done, cancelled or failed)."""
        return self.outcome in ("done", "cancelled", "failed")


class DemoView(AsyncView):
    """What a toolkit view implements: each method draws one change. Main thread only.

    The defaults draw nothing, so a view overrides what it shows.
    """

    def task_added(self, row: TaskRow) -> object:
        """A task row appeared; return the widget that owns its callbacks (or ``None``)."""
        return None

    def task_removed(self, row: TaskRow) -> None:
        """A finished row was dropped to keep the panel small: destroy its widget."""

    def task_changed(self, row: TaskRow) -> None:
        """A row's value, status or outcome changed."""

    def search_changed(self, status: str, results: tuple[str, ...]) -> None:
        """The search status line or results changed."""

    def busy_changed(self, text: str) -> None:
        """The pool's busy spinner: ``"| 3 tasks running"`` (turning), or ``"idle"``."""

    def flood_changed(self, kind: str, text: str) -> None:
        """A flood's line changed (``kind``: ``"plain"`` or ``"keyed"``)."""

    def ball_moved(self, x: float) -> None:
        """The animation's ball is now at ``x`` (0.0 left edge, 1.0 right edge)."""

    def stats_changed(self, rows: list[tuple[str, str]], gaps: str) -> None:
        """Fresh stats rows (label, value) and the frame gap line."""

    def stall_changed(self, stalled: bool, indicator: str, text: str | None) -> None:
        """The stall indicator (and, when a stall ended, its description) changed."""

    def set_query(self, text: str) -> None:
        """Put ``text`` in the search box (the self-test types through this)."""

    def size(self) -> tuple[int, int] | None:
        """The window's requested size in pixels (``None``: no window)."""
        return None

    def capture(self, path: str) -> str | None:
        """Save the window as a PNG; return an error message, or ``None`` when saved."""
        return "this view cannot take screenshots"

    def quit(self) -> None:
        """Close the window and end the toolkit's loop."""


class DemoModel:
    """The demo app, toolkit-neutral. Create and use on the main thread; :meth:`close` ends it."""

    def __init__(self, dispatcher: ud.Dispatcher, view: DemoView | None = None) -> None:
        self.d = dispatcher
        self.view = view or DemoView()
        self.pool = ud.Pool(max_workers=4, dispatcher=dispatcher)
        self.rows: list[TaskRow] = []
        self.query = ""
        self.keystrokes = 0
        # Each policy given once, here; each call passes only its callbacks. The search
        # restarts: a newer query cancels the one still running (the operation is the scope).
        self.search = self.pool.operation(if_running="restart", name="search")(slow_search)
        self.crunch = self.pool.operation(name="task")(crunch)  # every call runs: one per row
        self.search_results: tuple[str, ...] = ()
        self.search_restarts = 0
        self.busy = False
        self.busy_changes: list[bool] = []
        self._spin, self._spun_at = 0, 0.0
        self.flood_ran, self.keyed_ran, self.keyed_last = 0, 0, -1
        self.floods: dict[str, dict[str, float]] = {}
        self.flood_active = 0
        self.flood_gap_max = 0.0
        self.stall_infos: list[StallInfo] = []
        self.ball = 0.0
        self.closed = False
        self._ball_v = 0.45  # widths per second
        self._gaps: deque[tuple[float, float]] = deque()
        self._last_frame = time.perf_counter()
        self._debounced_search = dispatcher.debounce(0.3)(self._run_search)
        # A 50 ms heartbeat: stall durations are measured to within 50 ms (the default,
        # threshold / 2, would be within 100 ms) for about 20 cheap wake-ups a second.
        self.watch = dispatcher.watch_stalls(
            0.2, on_stall=self._stall_from_monitor, interval=STALL_INTERVAL
        )
        self._busy_watch: Any = None
        self.aio = AsyncPanel(dispatcher, self.view)  # the async panel: its own module

    def start(self) -> None:
        """Start the animation, the spinner, the stats and the async panel (view built)."""
        # The spinner: now, then on each idle <-> busy change, on this thread.
        self._busy_watch = self.pool.on_busy(self._busy_changed)
        self.d.call_later(FRAME, self._animate)
        self.d.call_later(STATS_PERIOD, self._refresh_stats)
        self.aio.start()

    # ------------------------------------------------------------------ tasks

    def start_tasks(self) -> None:
        """Start the four demo tasks on the pool."""
        for name, steps, per_step in TASKS:
            self.start_task(name, steps, per_step)

    def start_task(self, name: str, steps: int, per_step: float) -> TaskRow:
        """Submit one task; its callbacks land on this thread, owned by its row's widget."""
        if len(self.rows) >= MAX_ROWS:  # keep the panel small: forget the oldest finished row
            for old in self.rows:
                if old.finished:
                    self.rows.remove(old)
                    self.view.task_removed(old)  # its late callbacks are skipped (owner=)
                    break
        row = TaskRow(name, steps)
        self.rows.append(row)
        row.owner = self.view.task_added(row)
        row.task = self.crunch.submit(
            steps,
            per_step,
            on_progress=functools.partial(self._progress, row),
            on_done=functools.partial(self._done, row),
            on_error=functools.partial(self._failed, row),
            owner=row.owner,
        )
        return row

    def cancel_task(self, row: TaskRow) -> None:
        """Cancel a task: it resolves at once; its worker stops at its next check."""
        if row.task is not None:
            row.task.cancel()

    def _progress(self, row: TaskRow, value: float, message: str | None) -> None:
        row.value, row.status, row.outcome = value, message or f"{value:.0%}", "running"
        self.view.task_changed(row)

    def _done(self, row: TaskRow, result: object) -> None:
        row.value, row.status, row.outcome = 1.0, "done", "done"
        self.view.task_changed(row)

    def _failed(self, row: TaskRow, exc: BaseException) -> None:
        row.outcome = "cancelled" if isinstance(exc, ud.TaskCancelled) else "failed"
        row.status = row.outcome if row.outcome == "cancelled" else f"failed: {exc}"
        self.view.task_changed(row)

    # ------------------------------------------------------------------ search

    def on_query(self, text: str) -> None:
        """Each keystroke re-arms the debounce; only a pause of 0.3 s runs a search."""
        self.query = text
        self.keystrokes += 1
        self._debounced_search()

    def _run_search(self) -> None:
        query = self.query
        self.view.search_changed(f"searching {query!r}...", self.search_results)
        t0 = time.perf_counter()
        done = functools.partial(self._search_done, query, t0)
        self.search.submit(query, on_done=done, on_error=self._search_failed)

    def _search_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ud.TaskCancelled):
            self.search_restarts += 1  # replaced by a newer query
        else:
            self.view.search_changed(f"search failed: {exc}", ())

    def _search_done(self, query: str, t0: float, matches: tuple[str, ...]) -> None:
        self.search_results = matches
        status = (
            f"{plural(len(matches), 'match', 'matches')} for {query!r} in "
            f"{time.perf_counter() - t0:.2f} s; {plural(self.keystrokes, 'key')} -> "
            f"{plural(self.search.count, 'search', 'searches')}"
        )
        self.view.search_changed(status, matches)

    # ------------------------------------------------------------------ busy

    def _busy_changed(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changes.append(busy)
        self._show_busy()

    def _show_busy(self) -> None:
        if not self.busy:
            self.view.busy_changed("idle")
            return
        running = self.pool.stats().running
        self.view.busy_changed(f"{SPINNER[self._spin]} {plural(running, 'task')} running")

    # ------------------------------------------------------------------ flood

    def flood_plain(self) -> None:
        """100,000 plain calls: budgeted drains keep the ball moving."""
        self._start_flood("plain", self._flood_tick, key=None)

    def flood_keyed(self) -> None:
        """100,000 calls sharing a key: pending updates coalesce, latest wins."""
        self._start_flood("keyed", self._keyed_tick, key="demo-flood")

    def _start_flood(self, kind: str, fn: Any, key: object) -> None:
        s = self.d.stats()
        self.floods[kind] = {
            "t0": time.perf_counter(),
            "drains": s.drains,
            "coalesced": s.coalesced,
        }
        if kind == "plain":
            self.flood_ran = 0
        else:
            self.keyed_ran, self.keyed_last = 0, -1
        self.flood_active += 1
        self.view.flood_changed(kind, f"{kind}: posting {FLOOD_CALLS:,} calls...")
        flood(self.d, fn, FLOOD_CALLS, key=key, on_finished=functools.partial(self._flooded, kind))

    def _flood_tick(self, i: int) -> None:
        self.flood_ran += 1

    def _keyed_tick(self, i: int) -> None:
        self.keyed_ran += 1
        self.keyed_last = i

    def _flooded(self, kind: str, post_seconds: float) -> None:
        info = self.floods[kind]
        s = self.d.stats()
        info["seconds"] = time.perf_counter() - info["t0"]
        info["drains"] = s.drains - info["drains"]
        info["coalesced"] = s.coalesced - info["coalesced"]
        self.flood_active -= 1
        if kind == "plain":
            text = (
                f"plain: {self.flood_ran:,} calls ran in {info['seconds']:.2f} s, "
                f"{plural(int(info['drains']), 'drain')}"
            )
        else:
            text = (
                f"key=: {FLOOD_CALLS:,} posts -> {self.keyed_ran:,} ran, "
                f"{info['coalesced']:,.0f} coalesced, last {self.keyed_last:,}"
            )
        self.view.flood_changed(kind, text)

    # ------------------------------------------------------------------ animation, stats

    def _animate(self) -> None:
        if self.closed:
            return
        now = time.perf_counter()
        gap = now - self._last_frame
        self._last_frame = now
        self._gaps.append((now, gap))
        while self._gaps and self._gaps[0][0] < now - 2.0:
            self._gaps.popleft()
        if self.flood_active:
            self.flood_gap_max = max(self.flood_gap_max, gap)
        x = self.ball + self._ball_v * gap
        if not 0.0 <= x <= 1.0:
            self._ball_v = -self._ball_v
            x = min(1.0, max(0.0, x))
        self.ball = x
        self.view.ball_moved(x)
        if self.busy and now - self._spun_at >= SPIN_PERIOD:
            self._spun_at = now
            self._spin = (self._spin + 1) % len(SPINNER)
            self._show_busy()
        self.d.call_later(FRAME, self._animate)

    def stats_rows(self) -> list[tuple[str, str]]:
        """The stats panel's rows now (label, value)."""
        return format_stats(self.d.stats(), self.pool)

    def gap_text(self) -> str:
        """The animation's frame gap line."""
        worst = max((g for _, g in self._gaps), default=0.0)
        text = f"frame gap ({FRAME * 1000:.0f} ms timer): max {worst * 1000:.0f} ms over 2 s"
        if self.flood_gap_max:
            text += f"; {self.flood_gap_max * 1000:.0f} ms during floods"
        return text

    def _refresh_stats(self) -> None:
        if self.closed:
            return
        self.view.stats_changed(self.stats_rows(), self.gap_text())
        plain = self.floods.get("plain")
        if plain is not None and "seconds" not in plain:
            self.view.flood_changed("plain", f"plain: {self.flood_ran:,} of {FLOOD_CALLS:,} ran...")
        self.d.call_later(STATS_PERIOD, self._refresh_stats)

    # ------------------------------------------------------------------ stalls

    def block_ui(self) -> None:
        """Freeze the main thread on purpose, so the watchdog has something to catch."""
        time.sleep(0.5)

    def _stall_from_monitor(self, info: StallInfo) -> None:
        # The monitor thread calls this while the main thread is stuck: hand it over.
        with contextlib.suppress(ud.DispatcherClosed):
            self.d.call_soon(self._show_stall, info)

    def _show_stall(self, info: StallInfo) -> None:
        self.stall_infos.append(info)
        if not info.ended:
            self.view.stall_changed(True, f"● STALL #{info.number}", None)
            return
        where = info.location.rsplit(" in ", 1)
        func = where[-1] if where[0] else "?"
        place = os.path.basename(where[0].rsplit(":", 1)[0]) if where[0] else ""
        self.view.stall_changed(
            True,
            f"● stalled {info.duration:.2f} s",
            f"stall #{info.number}: {info.duration:.2f} s in {func}() ({place})",
        )
        self.d.call_later(2.5, self._calm)

    def _calm(self) -> None:
        if not self.closed and not self.watch.stalled:
            self.view.stall_changed(False, "● UI responsive", None)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Stop the watchdog, cancel the tasks and the async run, close the dispatcher.

        Idempotent; main thread. The view closes its window itself (or calls this first).
        """
        if self.closed:
            return
        self.closed = True
        self.watch.stop()
        if self._busy_watch is not None:
            self._busy_watch.cancel()
        self.crunch.cancel_all()
        self.pool.shutdown(wait=False, cancel_pending=True)
        self.aio.close()
        self.d.close()  # the run's last steps (closing its server and loop) run in here
