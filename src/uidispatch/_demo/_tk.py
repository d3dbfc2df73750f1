"""The Tk demo window: every widget is touched on the main thread, every wait is elsewhere."""

from __future__ import annotations

import contextlib
import functools
import os
import time
import tkinter as tk
from collections import deque
from tkinter import ttk
from typing import Any

import uidispatch as ud

from .._watchdog import StallInfo
from ._work import TASKS, crunch, flood, format_stats, slow_search

__all__ = ["TkDemo"]

FLOOD_CALLS = 100_000
STALL_INTERVAL = 0.05
BG, FG, OK, BAD, MUTED = "#1f2937", "#f9fafb", "#15803d", "#b91c1c", "#6b7280"


class _TaskRow:
    """One background task's row: name, progress bar, status, cancel button."""

    def __init__(self, parent: ttk.Frame, row: int, name: str) -> None:
        self.name = name
        self.frame = ttk.Frame(parent)
        self.frame.grid(row=row, column=0, sticky="ew", pady=1)
        ttk.Label(self.frame, text=name, width=14).grid(row=0, column=0, sticky="w")
        self.bar = ttk.Progressbar(
            self.frame, length=190, maximum=1.0, style="Task.Horizontal.TProgressbar"
        )
        self.bar.grid(row=0, column=1, padx=4)
        self.status = ttk.Label(self.frame, text="queued", width=15)
        self.status.grid(row=0, column=2, sticky="w")
        self.cancel = ttk.Button(self.frame, text="Cancel", width=7)
        self.cancel.grid(row=0, column=3)
        self.task: Any = None
        self.outcome = "queued"


class TkDemo:
    """The demo app on a Tk root. Main thread only; :meth:`close` tears it all down."""

    def __init__(self, root: tk.Tk, dispatcher: ud.Dispatcher) -> None:
        self.root = root
        self.d = dispatcher
        self.pool = ud.Pool(max_workers=4, dispatcher=dispatcher)
        self.rows: list[_TaskRow] = []
        self.keystrokes = 0
        self.searches = 0
        self.search_task: Any = None
        self.search_results: tuple[str, ...] = ()
        self.flood_ran = 0
        self.keyed_ran = 0
        self.keyed_last = -1
        self.floods: dict[str, dict[str, float]] = {}
        self.flood_active = 0
        self.flood_gap_max = 0.0
        self.stall_infos: list[StallInfo] = []
        self._gaps: deque[tuple[float, float]] = deque()
        self._closed = False
        root.title("uidispatch demo")
        root.protocol("WM_DELETE_WINDOW", self.close)
        style = ttk.Style(root)
        if "clam" in style.theme_names():
            style.theme_use("clam")
        style.configure("Value.TLabel", foreground="#111827")
        style.configure("Muted.TLabel", foreground=MUTED)
        style.configure(
            "Task.Horizontal.TProgressbar",
            background="#4f46e5",
            troughcolor="#e5e7eb",
            bordercolor="#d1d5db",
            lightcolor="#6366f1",
            darkcolor="#4338ca",
        )
        self._build()
        self._debounced_search = dispatcher.debounce(0.3)(self._run_search)
        # A 50 ms heartbeat: stall durations are measured to within 50 ms (the default,
        # threshold / 2, would be within 100 ms) for about 20 cheap wake-ups a second.
        self.watch = dispatcher.watch_stalls(
            0.2, on_stall=self._stall_from_monitor, interval=STALL_INTERVAL
        )
        self._last_frame = time.perf_counter()
        self._ball_v = 160.0
        root.after(15, self._animate)
        root.after(200, self._refresh_stats)

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        root = self.root
        head = tk.Frame(root, bg=BG, padx=12, pady=8)
        head.grid(row=0, column=0, columnspan=2, sticky="ew")
        tk.Label(
            head, text="uidispatch demo", bg=BG, fg=FG, font=("TkDefaultFont", 14, "bold")
        ).pack(side="left")
        tk.Label(
            head,
            text=f"  backend {self.d.backend.name}  ·  uidispatch {ud.__version__}",
            bg=BG,
            fg="#d1d5db",
        ).pack(side="left")
        self.indicator = tk.Label(
            head, text="● UI responsive", bg=OK, fg=FG, padx=8, font=("TkDefaultFont", 10, "bold")
        )
        self.indicator.pack(side="right")
        left = ttk.Frame(root, padding=8)
        left.grid(row=1, column=0, sticky="nsew")
        right = ttk.Frame(root, padding=8)
        right.grid(row=1, column=1, sticky="nsew")
        self._build_tasks(left)
        self._build_search(left)
        self._build_flood(right)
        self._build_stats(right)
        self._build_stalls(right)

    def _build_tasks(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, text=" Background tasks: ud.Pool, report_progress, cancel ")
        box.grid(row=0, column=0, sticky="ew")
        buttons = ttk.Frame(box)
        buttons.grid(row=0, column=0, sticky="w", pady=(2, 4))
        ttk.Button(buttons, text="Start 4 tasks", command=self.start_tasks).pack(side="left")
        ttk.Label(buttons, text="  workers sleep in steps; the UI only ever sees values").pack(
            side="left"
        )
        self.task_box = ttk.Frame(box)
        self.task_box.grid(row=1, column=0, sticky="ew")
        ttk.Label(self.task_box, text="(no tasks yet)", style="Muted.TLabel").grid(row=0, column=0)

    def _build_search(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, text=" Search: ud.debounce(0.3) -> a slow search on the pool ")
        box.grid(row=1, column=0, sticky="ew", pady=(8, 0))
        self.entry = ttk.Entry(box, width=34)
        self.entry.grid(row=0, column=0, sticky="w", padx=4, pady=4)
        self.entry.bind("<KeyRelease>", self.on_key)
        self.search_status = ttk.Label(box, text="type to search Python's names", width=40)
        self.search_status.grid(row=1, column=0, sticky="w", padx=4)
        self.results = tk.Listbox(box, height=7, width=46, activestyle="none")
        self.results.grid(row=2, column=0, sticky="ew", padx=4, pady=4)

    def _build_flood(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(
            parent, text=" Flood: 100,000 calls from a worker; the ball keeps moving "
        )
        box.grid(row=0, column=0, sticky="ew")
        self.canvas = tk.Canvas(box, width=380, height=54, bg="#eef2ff", highlightthickness=0)
        self.canvas.grid(row=0, column=0, columnspan=2, padx=4, pady=4)
        self.ball = self.canvas.create_oval(10, 14, 36, 40, fill="#4f46e5", outline="")
        self.gap_label = ttk.Label(box, text="frame gap: -")
        self.gap_label.grid(row=1, column=0, columnspan=2, sticky="w", padx=4)
        ttk.Button(box, text="Flood 100,000 calls", command=self.flood_plain).grid(
            row=2, column=0, sticky="w", padx=4, pady=4
        )
        ttk.Button(box, text="Flood 100,000 with key=", command=self.flood_keyed).grid(
            row=2, column=1, sticky="w", padx=4, pady=4
        )
        self.flood_label = ttk.Label(box, text="", width=52)
        self.flood_label.grid(row=3, column=0, columnspan=2, sticky="w", padx=4)
        self.keyed_label = ttk.Label(box, text="", width=52)
        self.keyed_label.grid(row=4, column=0, columnspan=2, sticky="w", padx=4, pady=(0, 4))

    def _build_stats(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, text=" Dispatch stats: d.stats(), 5 times a second ")
        box.grid(row=1, column=0, sticky="ew", pady=(8, 0))
        self.stat_values: dict[str, ttk.Label] = {}
        for i, (name, value) in enumerate(format_stats(self.d.stats(), self.pool)):
            ttk.Label(box, text=name, style="Muted.TLabel").grid(
                row=i, column=0, sticky="w", padx=4
            )
            label = ttk.Label(box, text=value, style="Value.TLabel", width=32)
            label.grid(row=i, column=1, sticky="w", padx=4)
            self.stat_values[name] = label
        self.stats_box = box

    def _build_stalls(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(
            parent, text=f" Stall watchdog: d.watch_stalls(0.2, interval={STALL_INTERVAL}) "
        )
        box.grid(row=2, column=0, sticky="ew", pady=(8, 0))
        ttk.Button(box, text="Block UI 0.5 s", command=self.block_ui).grid(
            row=0, column=0, sticky="w", padx=4, pady=4
        )
        self.stall_label = ttk.Label(box, text="no stall yet", width=44)
        self.stall_label.grid(row=0, column=1, sticky="w", padx=4)

    # ------------------------------------------------------------------ tasks

    def start_tasks(self) -> None:
        """Start the four demo tasks on the pool."""
        if not self.rows:
            for child in self.task_box.winfo_children():
                child.destroy()
        for name, steps, per_step in TASKS:
            self.start_task(name, steps, per_step)

    def start_task(self, name: str, steps: int, per_step: float) -> _TaskRow:
        """Submit one task; its callbacks land on this thread, owned by its row."""
        if len(self.rows) >= 6:  # keep the panel small: forget the oldest finished row
            for old in self.rows:
                if old.outcome in ("done", "cancelled", "failed"):
                    old.frame.destroy()  # its late callbacks are skipped (owner=)
                    self.rows.remove(old)
                    break
        row = _TaskRow(self.task_box, len(self.rows) + 100, name)
        row.task = self.pool.submit(
            crunch,
            steps,
            per_step,
            on_progress=functools.partial(self._progress, row),
            on_done=functools.partial(self._done, row),
            on_error=functools.partial(self._failed, row),
            owner=row.frame,
        )
        row.cancel.configure(command=functools.partial(self.cancel_task, row))
        self.rows.append(row)
        return row

    def cancel_task(self, row: _TaskRow) -> None:
        """Cancel a task: it resolves at once; its worker stops at its next check."""
        row.task.cancel()
        row.cancel.state(["disabled"])

    def _progress(self, row: _TaskRow, value: float, message: str | None) -> None:
        row.bar["value"] = value
        row.status["text"] = message or f"{value:.0%}"
        row.outcome = "running"

    def _done(self, row: _TaskRow, result: object) -> None:
        row.bar["value"] = 1.0
        row.status["text"] = "done"
        row.outcome = "done"
        row.cancel.state(["disabled"])

    def _failed(self, row: _TaskRow, exc: BaseException) -> None:
        row.outcome = "cancelled" if isinstance(exc, ud.TaskCancelled) else "failed"
        row.status["text"] = row.outcome if row.outcome == "cancelled" else f"failed: {exc}"
        row.cancel.state(["disabled"])

    # ------------------------------------------------------------------ search

    def on_key(self, event: object = None) -> None:
        """Each keystroke re-arms the debounce; only a pause of 0.3 s runs a search."""
        self.keystrokes += 1
        self._debounced_search()

    def _run_search(self) -> None:
        query = self.entry.get()
        if self.search_task is not None:
            self.search_task.cancel()  # a newer query makes the running one moot
        self.searches += 1
        self.search_status["text"] = f"searching {query!r}..."
        t0 = time.perf_counter()
        self.search_task = self.pool.submit(
            slow_search,
            query,
            on_done=functools.partial(self._search_done, query, t0),
            owner=self.results,
        )

    def _search_done(self, query: str, t0: float, matches: tuple[str, ...]) -> None:
        self.search_results = matches
        self.results.delete(0, "end")
        for word in matches[:200]:
            self.results.insert("end", word)
        self.search_status["text"] = (
            f"{len(matches)} matches for {query!r} in {time.perf_counter() - t0:.2f} s; "
            f"{self.keystrokes} keys -> {self.searches} "
            f"search{'es' if self.searches != 1 else ''}"
        )

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
        label = self.flood_label if kind == "plain" else self.keyed_label
        label["text"] = f"{kind}: posting {FLOOD_CALLS:,} calls..."
        flood(
            self.d,
            fn,
            FLOOD_CALLS,
            key=key,
            on_finished=functools.partial(self._flood_finished, kind),
        )

    def _flood_tick(self, i: int) -> None:
        self.flood_ran += 1

    def _keyed_tick(self, i: int) -> None:
        self.keyed_ran += 1
        self.keyed_last = i

    def _flood_finished(self, kind: str, post_seconds: float) -> None:
        info = self.floods[kind]
        s = self.d.stats()
        info["seconds"] = time.perf_counter() - info["t0"]
        info["drains"] = s.drains - info["drains"]
        info["coalesced"] = s.coalesced - info["coalesced"]
        self.flood_active -= 1
        if kind == "plain":
            self.flood_label["text"] = (
                f"plain: {self.flood_ran:,} calls ran in {info['seconds']:.2f} s, "
                f"{info['drains']:,.0f} drains"
            )
        else:
            self.keyed_label["text"] = (
                f"key=: {FLOOD_CALLS:,} posts -> {self.keyed_ran:,} ran, "
                f"{info['coalesced']:,.0f} coalesced, last {self.keyed_last:,}"
            )

    # ------------------------------------------------------------------ animation, stats

    def _animate(self) -> None:
        if self._closed:
            return
        now = time.perf_counter()
        gap = now - self._last_frame
        self._last_frame = now
        self._gaps.append((now, gap))
        while self._gaps and self._gaps[0][0] < now - 2.0:
            self._gaps.popleft()
        if self.flood_active:
            self.flood_gap_max = max(self.flood_gap_max, gap)
        x0, _, x1, _ = self.canvas.coords(self.ball)
        dx = self._ball_v * gap
        if x1 + dx > 375 or x0 + dx < 5:
            self._ball_v = -self._ball_v
            dx = -dx
        self.canvas.move(self.ball, dx, 0)
        self.root.after(15, self._animate)

    def _refresh_stats(self) -> None:
        if self._closed:
            return
        for name, value in format_stats(self.d.stats(), self.pool):
            label = self.stat_values.get(name)
            if label is not None:
                label["text"] = value
        worst = max((g for _, g in self._gaps), default=0.0)
        text = f"frame gap (15 ms timer): max {worst * 1000:.0f} ms over the last 2 s"
        if self.flood_gap_max:
            text += f"; {self.flood_gap_max * 1000:.0f} ms during floods"
        self.gap_label["text"] = text
        if self.flood_active and "plain" in self.floods:
            self.flood_label["text"] = f"plain: {self.flood_ran:,} of {FLOOD_CALLS:,} ran..."
        self.root.after(200, self._refresh_stats)

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
        where = info.location.rsplit(" in ", 1)
        func = where[-1] if where[0] else "?"
        place = os.path.basename(where[0].rsplit(":", 1)[0]) if where[0] else ""
        if info.ended:
            self.indicator.configure(text=f"● stalled {info.duration:.2f} s", bg=BAD)
            self.stall_label["text"] = (
                f"stall #{info.number}: {info.duration:.2f} s in {func}() ({place})"
            )
            self.root.after(2500, self._calm)
        else:
            self.indicator.configure(text=f"● STALL #{info.number}", bg=BAD)

    def _calm(self) -> None:
        if not self._closed and not self.watch.stalled:
            self.indicator.configure(text="● UI responsive", bg=OK)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Stop the watchdog, cancel the tasks, close the dispatcher, destroy the window."""
        if self._closed:
            return
        self._closed = True
        self.watch.stop()
        for row in self.rows:
            if row.task is not None:
                row.task.cancel()
        self.pool.shutdown(wait=False, cancel_pending=True)
        self.d.close()
        self.root.destroy()
