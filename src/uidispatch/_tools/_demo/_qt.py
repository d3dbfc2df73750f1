"""The Qt view of the demo: widgets only; state and actions live in :class:`DemoModel`.

It runs on whichever binding the ``qt`` plugin chose (PySide6, PyQt6, PyQt5), imported
through that choice, so the demo, the backend and qasync drive one Qt. Labels whose text
changes have fixed widths, so the window keeps its size.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from typing import Any

import uidispatch as ud

from ._async import PARTS
from ._model import FLOOD_CALLS, MAX_ROWS, STALL_INTERVAL, DemoModel, DemoView, TaskRow

__all__ = ["QtView", "run_qt"]

OK, BAD = "#15803d", "#b91c1c"
TRACK_W, BALL = 380, 26


class QtView(DemoView):
    """The demo window on a ``QApplication``. GUI thread only."""

    def __init__(self, qt: Any, dispatcher: ud.Dispatcher) -> None:
        self.qt = qt  # the binding's QtWidgets module
        self.rows: dict[int, dict[str, Any]] = {}
        w = qt
        self.window = window = w.QWidget()
        window.setWindowTitle("uidispatch demo")
        self.model = DemoModel(dispatcher, self)
        grid = w.QGridLayout(window)
        grid.addWidget(self._header(), 0, 0, 1, 2)
        left, right = w.QVBoxLayout(), w.QVBoxLayout()
        grid.addLayout(left, 1, 0)
        grid.addLayout(right, 1, 1)
        left.addWidget(self._tasks())
        left.addWidget(self._search())
        left.addWidget(self._async())
        left.addStretch(1)
        right.addWidget(self._flood())
        right.addWidget(self._stats())
        right.addWidget(self._stalls())
        right.addStretch(1)
        window.show()
        self.model.start()

    # ------------------------------------------------------------------ layout

    def _label(self, text: str = "", chars: int = 0) -> Any:
        label = self.qt.QLabel(text)
        if chars:
            label.setFixedWidth(label.fontMetrics().horizontalAdvance("0" * chars))
        return label

    def _header(self) -> Any:
        w = self.qt
        head = w.QFrame()
        head.setStyleSheet("QFrame { background: #1f2937; } QLabel { color: #f9fafb; }")
        row = w.QHBoxLayout(head)
        title = self._label("uidispatch demo")
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        row.addWidget(title)
        row.addWidget(
            self._label(f"  backend {self.model.d.backend.name}  ·  uidispatch {ud.__version__}")
        )
        row.addStretch(1)
        self.indicator = self._label("● UI responsive", 20)
        self._paint_indicator(False)
        row.addWidget(self.indicator)
        return head

    def _paint_indicator(self, stalled: bool) -> None:
        self.indicator.setStyleSheet(
            f"background: {BAD if stalled else OK}; color: #f9fafb; font-weight: bold; "
            "padding: 2px 8px;"
        )

    def _tasks(self) -> Any:
        w = self.qt
        box = w.QGroupBox("Background tasks: ud.Pool, report_progress, cancel, on_busy")
        col = w.QVBoxLayout(box)
        line = w.QHBoxLayout()
        start = w.QPushButton("Start 4 tasks")
        start.clicked.connect(lambda *_: self.model.start_tasks())
        line.addWidget(start)
        line.addWidget(self._label("workers sleep in steps; the UI sees values"))
        self.busy_label = self._label("pool: idle", 20)
        self.busy_label.setStyleSheet("color: #6b7280;")
        line.addWidget(self.busy_label)
        line.addStretch(1)
        col.addLayout(line)
        rows = w.QWidget()
        col.addWidget(rows)
        self.task_box = w.QVBoxLayout(rows)
        self.task_box.setContentsMargins(0, 0, 0, 0)
        self.no_tasks: Any = self._label("(no tasks yet)")
        self.task_box.addWidget(self.no_tasks)
        self.task_box.addStretch(1)  # rows stack from the top, above this
        # Reserve the rows' room now, so the first task does not widen the window nor
        # more rows make it taller.
        probe = self._row_widgets(TaskRow("probe", 1))
        box.setMinimumWidth(probe["frame"].sizeHint().width() + 24)
        row_h = probe["frame"].sizeHint().height() + self.task_box.spacing()
        rows.setMinimumHeight(MAX_ROWS * row_h)
        probe["frame"].deleteLater()
        return box

    def _row_widgets(self, row: TaskRow) -> dict[str, Any]:
        w = self.qt
        frame = w.QWidget()
        line = w.QHBoxLayout(frame)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self._label(row.name, 14))
        bar = w.QProgressBar()
        bar.setRange(0, 1000)
        bar.setTextVisible(False)
        bar.setFixedWidth(190)
        line.addWidget(bar)
        status = self._label(row.status, 15)
        line.addWidget(status)
        cancel = w.QPushButton("Cancel")
        cancel.clicked.connect(functools.partial(self._cancel, row))
        line.addWidget(cancel)
        return {"frame": frame, "bar": bar, "status": status, "cancel": cancel}

    def _cancel(self, row: TaskRow, *_: object) -> None:
        self.model.cancel_task(row)

    def _search(self) -> Any:
        w = self.qt
        box = w.QGroupBox("Search: ud.debounce(0.3), then if_running='restart' on the pool")
        col = w.QVBoxLayout(box)
        self.entry = w.QLineEdit()
        self.entry.setFixedWidth(self.entry.fontMetrics().horizontalAdvance("0" * 34))
        self.entry.textEdited.connect(self.model.on_query)
        col.addWidget(self.entry)
        self.search_status = self._label("type to search Python's names", 56)
        col.addWidget(self.search_status)
        self.results = w.QListWidget()
        self.results.setFixedHeight(150)
        col.addWidget(self.results)
        return box

    def _async(self) -> Any:
        w = self.qt
        box = w.QGroupBox("async/await on the UI thread: aio.start, @aio.handler, a local server")
        grid = w.QGridLayout(box)
        panel = self.model.aio
        # " ", not "": an empty QLabel is a pixel shorter than one with text.
        self.aio_labels = {part: self._label(" ", 56) for part in PARTS}
        for i, (text, action) in enumerate((("Echo", panel.echo), ("Countdown", panel.count_down))):
            button = w.QPushButton(text)
            button.clicked.connect(functools.partial(_call, action))
            grid.addWidget(button, i, 0)
            grid.addWidget(self.aio_labels[("echo", "countdown")[i]], i, 1)
        self.aio_labels["server"].setStyleSheet("color: #6b7280;")
        grid.addWidget(self.aio_labels["server"], 2, 0, 1, 2)
        return box

    def _flood(self) -> Any:
        w = self.qt
        box = w.QGroupBox(f"Flood: {FLOOD_CALLS:,} calls from a worker; the ball keeps moving")
        col = w.QVBoxLayout(box)
        track = w.QFrame()
        track.setFixedSize(TRACK_W, 54)
        track.setStyleSheet("background: #eef2ff;")
        self.ball = w.QLabel(track)
        self.ball.setFixedSize(BALL, BALL)
        self.ball.setStyleSheet(f"background: #4f46e5; border-radius: {BALL // 2}px;")
        self.ball.move(5, 14)
        col.addWidget(track)
        self.gap_label = self._label("frame gap: -", 56)
        col.addWidget(self.gap_label)
        line = w.QHBoxLayout()
        for text, action in (
            (f"Flood {FLOOD_CALLS:,} calls", self.model.flood_plain),
            (f"Flood {FLOOD_CALLS:,} with key=", self.model.flood_keyed),
        ):
            button = w.QPushButton(text)
            button.clicked.connect(functools.partial(_call, action))
            line.addWidget(button)
        line.addStretch(1)
        col.addLayout(line)
        # " ", not "": an empty QLabel is a pixel shorter than one with text.
        self.flood_labels = {kind: self._label(" ", 56) for kind in ("plain", "keyed")}
        for label in self.flood_labels.values():
            col.addWidget(label)
        return box

    def _stats(self) -> Any:
        w = self.qt
        box = w.QGroupBox("Dispatch stats: d.stats(), 5 times a second")
        grid = w.QGridLayout(box)
        self.stat_values: dict[str, Any] = {}
        for i, (name, value) in enumerate(self.model.stats_rows()):
            key = self._label(name)
            key.setStyleSheet("color: #6b7280;")
            grid.addWidget(key, i, 0)
            label = self._label(value, 32)
            grid.addWidget(label, i, 1)
            self.stat_values[name] = label
        return box

    def _stalls(self) -> Any:
        w = self.qt
        box = w.QGroupBox(f"Stall watchdog: d.watch_stalls(0.2, interval={STALL_INTERVAL})")
        line = w.QHBoxLayout(box)
        block = w.QPushButton("Block UI 0.5 s")
        block.clicked.connect(functools.partial(_call, self.model.block_ui))
        line.addWidget(block)
        self.stall_label = self._label("no stall yet", 44)
        line.addWidget(self.stall_label)
        return box

    # ------------------------------------------------------------------ DemoView

    def task_added(self, row: TaskRow) -> object:
        if self.no_tasks is not None:
            self.no_tasks.deleteLater()
            self.no_tasks = None
        widgets = self._row_widgets(row)
        self.task_box.insertWidget(self.task_box.count() - 1, widgets["frame"])
        self.rows[id(row)] = widgets
        return widgets["frame"]

    def task_removed(self, row: TaskRow) -> None:
        widgets = self.rows.pop(id(row), None)
        if widgets is not None:
            widgets["frame"].deleteLater()

    def task_changed(self, row: TaskRow) -> None:
        widgets = self.rows.get(id(row))
        if widgets is None:
            return
        widgets["bar"].setValue(round(row.value * 1000))
        widgets["status"].setText(row.status)
        if row.finished:
            widgets["cancel"].setEnabled(False)

    def search_changed(self, status: str, results: tuple[str, ...]) -> None:
        self.search_status.setText(status)
        self.results.clear()
        self.results.addItems(list(results[:200]))

    def busy_changed(self, text: str) -> None:
        self.busy_label.setText(f"pool: {text}")

    def flood_changed(self, kind: str, text: str) -> None:
        self.flood_labels[kind].setText(text)

    def ball_moved(self, x: float) -> None:
        self.ball.move(round(5 + x * (TRACK_W - 10 - BALL)), 14)

    def stats_changed(self, rows: list[tuple[str, str]], gaps: str) -> None:
        for name, value in rows:
            label = self.stat_values.get(name)
            if label is not None:
                label.setText(value)
        self.gap_label.setText(gaps)

    def stall_changed(self, stalled: bool, indicator: str, text: str | None) -> None:
        self.indicator.setText(indicator)
        self._paint_indicator(stalled)
        if text is not None:
            self.stall_label.setText(text)

    def aio_changed(self, part: str, text: str) -> None:
        self.aio_labels[part].setText(text)

    def set_query(self, text: str) -> None:
        self.entry.setText(text)

    def size(self) -> tuple[int, int]:
        hint = self.window.sizeHint()
        return int(hint.width()), int(hint.height())

    def capture(self, path: str) -> str | None:
        if not self.window.grab().save(path, "PNG"):
            return f"QWidget.grab().save({path!r}) failed"
        return None

    def quit(self) -> None:
        self.model.close()
        self.window.close()


def _call(action: Any, *_: object) -> None:
    # clicked passes `checked` on some bindings and not on others: drop it.
    action()


def run_qt(selftest: float | None, screenshot: str | None) -> int:
    """Open the Qt demo until its window closes (or the self-test ends); the exit status."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no Xvfb needed
    binding = ud.backends()["qt"].requires[0]  # the plugin's choice: the app's, QT_API, ...
    try:
        qt = importlib.import_module(f"{binding}.QtWidgets")
    except ImportError as exc:
        print(
            f"demo: cannot import {binding} ({exc}); "
            "pip install uidispatch-qt[pyside6] (or [pyqt6], [pyqt5])",
            file=sys.stderr,
        )
        return 1
    app = qt.QApplication.instance() or qt.QApplication([sys.argv[0], "-name", "uidispatch-demo"])
    d = ud.get_dispatcher("qt", app=app)
    ud.use(d)
    try:
        view = QtView(qt, d)
        test = None
        if selftest is not None:
            from ._selftest import SelfTest

            test = SelfTest(view.model, selftest, screenshot, on_finished=view.window.close)
            test.start()
        (getattr(app, "exec", None) or app.exec_)()  # PySide2 names it exec_
        view.model.close()
        return test.interrupted() if test is not None else 0
    finally:
        ud.use(None)
