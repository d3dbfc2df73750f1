"""The Tk view of the demo: widgets only; state and actions live in :class:`DemoModel`.

Every label whose text changes has a fixed width, so the window keeps its size while tasks
run and floods report (it used to grow from 1058 to 1129 px).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

import uidispatch as ud

from ._async import PARTS
from ._model import FLOOD_CALLS, MAX_ROWS, STALL_INTERVAL, DemoModel, DemoView, TaskRow

__all__ = ["TkView"]

BG, FG, OK, BAD, MUTED = "#1f2937", "#f9fafb", "#15803d", "#b91c1c", "#6b7280"
CANVAS_W, BALL = 380, 26


class _RowWidgets:
    """One task's row: name, progress bar, status, cancel button."""

    def __init__(
        self, parent: ttk.Frame, row: TaskRow, on_cancel: Callable[[], object] | None
    ) -> None:
        self.frame = ttk.Frame(parent)
        self.frame.grid(column=0, sticky="ew", pady=1)
        ttk.Label(self.frame, text=row.name, width=14).grid(row=0, column=0, sticky="w")
        self.bar = ttk.Progressbar(
            self.frame, length=190, maximum=1.0, style="Task.Horizontal.TProgressbar"
        )
        self.bar.grid(row=0, column=1, padx=4)
        self.status = ttk.Label(self.frame, text=row.status, width=15)
        self.status.grid(row=0, column=2, sticky="w")
        self.cancel = ttk.Button(self.frame, text="Cancel", width=7, command=on_cancel or "")
        self.cancel.grid(row=0, column=3)


class TkView(DemoView):
    """The demo window on a Tk root. Main thread only."""

    def __init__(self, root: tk.Tk, dispatcher: ud.Dispatcher) -> None:
        self.root = root
        self.rows: dict[int, _RowWidgets] = {}
        root.title("uidispatch demo")
        root.protocol("WM_DELETE_WINDOW", self.quit)
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
        self.model = DemoModel(dispatcher, self)
        self._build()
        self.model.start()

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        root, m = self.root, self.model
        head = tk.Frame(root, bg=BG, padx=12, pady=8)
        head.grid(row=0, column=0, columnspan=2, sticky="ew")
        tk.Label(
            head, text="uidispatch demo", bg=BG, fg=FG, font=("TkDefaultFont", 14, "bold")
        ).pack(side="left")
        tk.Label(
            head,
            text=f"  backend {m.d.backend.name}  ·  uidispatch {ud.__version__}",
            bg=BG,
            fg="#d1d5db",
        ).pack(side="left")
        self.indicator = tk.Label(
            head,
            text="● UI responsive",
            bg=OK,
            fg=FG,
            padx=8,
            width=18,
            font=("TkDefaultFont", 10, "bold"),
        )
        self.indicator.pack(side="right")
        left = ttk.Frame(root, padding=8)
        left.grid(row=1, column=0, sticky="nsew")
        right = ttk.Frame(root, padding=8)
        right.grid(row=1, column=1, sticky="nsew")
        self._build_tasks(left)
        self._build_search(left)
        self._build_async(left)
        self._build_flood(right)
        self._build_stats(right)
        self._build_stalls(right)

    def _build_tasks(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(
            parent, text=" Background tasks: ud.Pool, report_progress, cancel, on_busy "
        )
        box.grid(row=0, column=0, sticky="ew")
        buttons = ttk.Frame(box)
        buttons.grid(row=0, column=0, sticky="w", pady=(2, 4))
        ttk.Button(buttons, text="Start 4 tasks", command=self.model.start_tasks).pack(side="left")
        ttk.Label(buttons, text="  workers sleep in steps; the UI sees values").pack(side="left")
        self.busy_label = ttk.Label(buttons, text="idle", width=18, style="Muted.TLabel")
        self.busy_label.pack(side="left", padx=(8, 0))
        self.task_box = ttk.Frame(box)
        self.task_box.grid(row=1, column=0, sticky="new")  # rows from the top of their room
        # Reserve the rows' room now: rows wider than the panel's first content made the
        # whole window grow when the first task started, and so would more rows.
        probe = _RowWidgets(self.task_box, TaskRow("probe", 1), None)
        probe.frame.update_idletasks()
        self.task_box.columnconfigure(0, minsize=probe.frame.winfo_reqwidth())
        box.rowconfigure(1, minsize=MAX_ROWS * (probe.frame.winfo_reqheight() + 2))
        probe.frame.destroy()
        self.no_tasks: ttk.Label | None = ttk.Label(
            self.task_box, text="(no tasks yet)", style="Muted.TLabel"
        )
        self.no_tasks.grid(row=0, column=0)

    def _build_search(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(
            parent, text=" Search: ud.debounce(0.3), then if_running='restart' on the pool "
        )
        box.grid(row=1, column=0, sticky="ew", pady=(8, 0))
        self.entry = ttk.Entry(box, width=34)
        self.entry.grid(row=0, column=0, sticky="w", padx=4, pady=4)
        self.entry.bind("<KeyRelease>", lambda _e: self.model.on_query(self.entry.get()))
        self.search_status = ttk.Label(box, text="type to search Python's names", width=56)
        self.search_status.grid(row=1, column=0, sticky="w", padx=4)
        self.results = tk.Listbox(box, height=7, width=46, activestyle="none")
        self.results.grid(row=2, column=0, sticky="ew", padx=4, pady=4)

    def _build_async(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(
            parent, text=" async/await on the UI thread: aio.start, @aio.handler, a local server "
        )
        box.grid(row=2, column=0, sticky="ew", pady=(8, 0))
        ttk.Button(box, text="Echo", width=11, command=self.model.aio.echo).grid(
            row=0, column=0, sticky="w", padx=4, pady=(4, 0)
        )
        ttk.Button(box, text="Countdown", width=11, command=self.model.aio.count_down).grid(
            row=1, column=0, sticky="w", padx=4, pady=4
        )
        # " ": an empty ttk label is shorter than one with text, and the window would grow.
        self.aio_labels = {part: ttk.Label(box, text=" ", width=56) for part in PARTS}
        self.aio_labels["echo"].grid(row=0, column=1, sticky="w", padx=4)
        self.aio_labels["countdown"].grid(row=1, column=1, sticky="w", padx=4)
        self.aio_labels["server"].configure(style="Muted.TLabel", width=66)
        self.aio_labels["server"].grid(row=2, column=0, columnspan=2, sticky="w", padx=4)

    def _build_flood(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(
            parent, text=f" Flood: {FLOOD_CALLS:,} calls from a worker; the ball keeps moving "
        )
        box.grid(row=0, column=0, sticky="ew")
        self.canvas = tk.Canvas(box, width=CANVAS_W, height=54, bg="#eef2ff", highlightthickness=0)
        self.canvas.grid(row=0, column=0, columnspan=2, padx=4, pady=4)
        self.ball = self.canvas.create_oval(5, 14, 5 + BALL, 14 + BALL, fill="#4f46e5", outline="")
        self.gap_label = ttk.Label(box, text="frame gap: -", width=56)
        self.gap_label.grid(row=1, column=0, columnspan=2, sticky="w", padx=4)
        ttk.Button(box, text=f"Flood {FLOOD_CALLS:,} calls", command=self.model.flood_plain).grid(
            row=2, column=0, sticky="w", padx=4, pady=4
        )
        ttk.Button(
            box, text=f"Flood {FLOOD_CALLS:,} with key=", command=self.model.flood_keyed
        ).grid(row=2, column=1, sticky="w", padx=4, pady=4)
        self.flood_labels = {kind: ttk.Label(box, text="", width=56) for kind in ("plain", "keyed")}
        self.flood_labels["plain"].grid(row=3, column=0, columnspan=2, sticky="w", padx=4)
        self.flood_labels["keyed"].grid(
            row=4, column=0, columnspan=2, sticky="w", padx=4, pady=(0, 4)
        )

    def _build_stats(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, text=" Dispatch stats: d.stats(), 5 times a second ")
        box.grid(row=1, column=0, sticky="ew", pady=(8, 0))
        self.stat_values: dict[str, ttk.Label] = {}
        for i, (name, value) in enumerate(self.model.stats_rows()):
            ttk.Label(box, text=name, style="Muted.TLabel").grid(
                row=i, column=0, sticky="w", padx=4
            )
            label = ttk.Label(box, text=value, style="Value.TLabel", width=32)
            label.grid(row=i, column=1, sticky="w", padx=4)
            self.stat_values[name] = label

    def _build_stalls(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(
            parent, text=f" Stall watchdog: d.watch_stalls(0.2, interval={STALL_INTERVAL}) "
        )
        box.grid(row=2, column=0, sticky="ew", pady=(8, 0))
        ttk.Button(box, text="Block UI 0.5 s", command=self.model.block_ui).grid(
            row=0, column=0, sticky="w", padx=4, pady=4
        )
        self.stall_label = ttk.Label(box, text="no stall yet", width=44)
        self.stall_label.grid(row=0, column=1, sticky="w", padx=4)

    # ------------------------------------------------------------------ DemoView

    def task_added(self, row: TaskRow) -> object:
        if self.no_tasks is not None:
            self.no_tasks.destroy()
            self.no_tasks = None
        widgets = _RowWidgets(self.task_box, row, functools.partial(self._cancel, row))
        self.rows[id(row)] = widgets
        return widgets.frame

    def _cancel(self, row: TaskRow) -> None:
        self.model.cancel_task(row)

    def task_removed(self, row: TaskRow) -> None:
        widgets = self.rows.pop(id(row), None)
        if widgets is not None:
            widgets.frame.destroy()

    def task_changed(self, row: TaskRow) -> None:
        widgets = self.rows.get(id(row))
        if widgets is None:
            return
        widgets.bar["value"] = row.value
        widgets.status["text"] = row.status
        if row.finished:
            widgets.cancel.state(["disabled"])

    def search_changed(self, status: str, results: tuple[str, ...]) -> None:
        self.search_status["text"] = status
        self.results.delete(0, "end")
        for word in results[:200]:
            self.results.insert("end", word)

    def busy_changed(self, text: str) -> None:
        self.busy_label["text"] = f"pool: {text}"

    def flood_changed(self, kind: str, text: str) -> None:
        self.flood_labels[kind]["text"] = text

    def ball_moved(self, x: float) -> None:
        left = 5 + x * (CANVAS_W - 10 - BALL)
        self.canvas.coords(self.ball, left, 14, left + BALL, 14 + BALL)

    def stats_changed(self, rows: list[tuple[str, str]], gaps: str) -> None:
        for name, value in rows:
            label = self.stat_values.get(name)
            if label is not None:
                label["text"] = value
        self.gap_label["text"] = gaps

    def stall_changed(self, stalled: bool, indicator: str, text: str | None) -> None:
        self.indicator.configure(text=indicator, bg=BAD if stalled else OK)
        if text is not None:
            self.stall_label["text"] = text

    def aio_changed(self, part: str, text: str) -> None:
        self.aio_labels[part]["text"] = text

    def set_query(self, text: str) -> None:
        self.entry.delete(0, "end")
        self.entry.insert("end", text)

    def size(self) -> tuple[int, int]:
        self.root.update_idletasks()  # the size the layout asks for: what used to grow
        return self.root.winfo_reqwidth(), self.root.winfo_reqheight()

    def capture(self, path: str) -> str | None:
        exe = shutil.which("import")
        if exe is None:
            return "ImageMagick's 'import' is not installed"
        self.root.update()
        proc = subprocess.run(
            [exe, "-window", self.root.wm_frame(), path],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return proc.stderr.strip() or "import failed" if proc.returncode else None

    def quit(self) -> None:
        self.model.close()
        self.root.destroy()
