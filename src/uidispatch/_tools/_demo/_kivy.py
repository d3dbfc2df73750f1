"""The Kivy view of the demo: widgets only; state and actions live in :class:`DemoModel`.

Kivy lays widgets out by size hints, never by their text, so the window keeps its size
whatever the labels say.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import traceback
from typing import Any

import uidispatch as ud

from ._async import PARTS
from ._model import FLOOD_CALLS, STALL_INTERVAL, DemoModel, DemoView, TaskRow

__all__ = ["run_kivy"]

SIZE = (1100, 680)
OK, BAD = (0.08, 0.5, 0.24, 1), (0.73, 0.11, 0.11, 1)
INK, MUTED, HEAD = (0.07, 0.09, 0.15, 1), (0.42, 0.45, 0.5, 1), (0.12, 0.16, 0.22, 1)
TRACK_W, BALL = 380, 26
ROW_H = 30


def _import_kivy() -> Any:
    # Read by Kivy at import: no argv parsing (ours are not Kivy's), no log files or
    # console noise in the user's home and terminal, and the window's size.
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    Config: Any = importlib.import_module("kivy.config").Config
    Config.set("graphics", "width", str(SIZE[0]))
    Config.set("graphics", "height", str(SIZE[1]))
    Config.set("input", "mouse", "mouse,disable_multitouch")
    for name in (
        "app",
        "core.window",
        "graphics",
        "uix.boxlayout",
        "uix.button",
        "uix.gridlayout",
        "uix.label",
        "uix.progressbar",
        "uix.textinput",
        "uix.widget",
    ):
        importlib.import_module(f"kivy.{name}")
    kivy = importlib.import_module("kivy")
    return kivy


class KivyView(DemoView):
    """The demo's widget tree under a Kivy ``App``. Main thread only."""

    def __init__(self, kivy: Any, dispatcher: ud.Dispatcher) -> None:
        self.k = kivy
        self.rows: dict[int, dict[str, Any]] = {}
        self._typing = False
        self.model = DemoModel(dispatcher, self)
        BoxLayout = kivy.uix.boxlayout.BoxLayout
        self.root = root = BoxLayout(orientation="vertical", padding=8, spacing=6)
        self._background(root, (0.95, 0.95, 0.96, 1))
        root.add_widget(self._header())
        body = BoxLayout(spacing=12)
        left = BoxLayout(orientation="vertical", spacing=4)
        right = BoxLayout(orientation="vertical", spacing=4)
        body.add_widget(left)
        body.add_widget(right)
        root.add_widget(body)
        self._tasks(left)
        self._search(left)
        self._async(left)
        self._flood(right)
        self._stats(right)
        self._stalls(right)

    # ------------------------------------------------------------------ helpers

    def _background(self, widget: Any, rgba: tuple[float, ...]) -> Any:
        g = self.k.graphics
        with widget.canvas.before:
            color = g.Color(*rgba)
            rect = g.Rectangle(pos=widget.pos, size=widget.size)
        widget.bind(pos=lambda w, v: setattr(rect, "pos", v))
        widget.bind(size=lambda w, v: setattr(rect, "size", v))
        return color

    def _label(
        self, text: str = "", *, color: tuple[float, ...] = INK, valign: str = "middle", **kw: Any
    ) -> Any:
        label = self.k.uix.label.Label(text=text, color=color, halign="left", valign=valign, **kw)
        label.bind(size=lambda w, v: setattr(w, "text_size", v))
        return label

    def _title(self, parent: Any, text: str) -> None:
        parent.add_widget(self._label(f"[b]{text}[/b]", markup=True, size_hint_y=None, height=24))

    def _button(self, text: str, action: Any, **kw: Any) -> Any:
        button = self.k.uix.button.Button(text=text, size_hint=(None, None), height=30, **kw)
        button.bind(on_release=lambda *_: action())
        return button

    def _line(self, height: int = ROW_H) -> Any:
        return self.k.uix.boxlayout.BoxLayout(size_hint_y=None, height=height, spacing=6)

    # ------------------------------------------------------------------ layout

    def _header(self) -> Any:
        head = self._line(40)
        self._background(head, HEAD)
        head.add_widget(
            self._label(
                f"[b]uidispatch demo[/b]   backend {self.model.d.backend.name}  ·  "
                f"uidispatch {ud.__version__}",
                markup=True,
                color=(0.98, 0.98, 0.98, 1),
                font_size="16sp",
                padding=(10, 0),
            )
        )
        self.indicator = self._label(
            "[b]UI responsive[/b]",
            markup=True,
            color=(1, 1, 1, 1),
            size_hint_x=None,
            width=190,
            padding=(10, 0),
        )
        self.indicator_bg = self._background(self.indicator, OK)
        head.add_widget(self.indicator)
        return head

    def _tasks(self, parent: Any) -> None:
        self._title(parent, "Background tasks: ud.Pool, report_progress, cancel, on_busy")
        line = self._line()
        line.add_widget(self._button("Start 4 tasks", self.model.start_tasks, width=130))
        line.add_widget(self._label("workers sleep in steps; the UI sees values", color=MUTED))
        self.busy_label = self._label("pool: idle", color=MUTED, size_hint_x=None, width=170)
        line.add_widget(self.busy_label)
        parent.add_widget(line)
        # Room for the model's six rows, filled from the top.
        self.task_box = self.k.uix.gridlayout.GridLayout(
            cols=1,
            size_hint_y=None,
            height=6 * (ROW_H + 2),
            spacing=2,
            row_force_default=True,
            row_default_height=ROW_H,
        )
        parent.add_widget(self.task_box)

    def _search(self, parent: Any) -> None:
        self._title(parent, "Search: ud.debounce(0.3), then if_running='restart' on the pool")
        self.entry = self.k.uix.textinput.TextInput(
            multiline=False, size_hint=(None, None), width=300, height=32
        )
        self.entry.bind(text=self._on_text)
        parent.add_widget(self.entry)
        self.search_status = self._label(
            "type to search Python's names", size_hint_y=None, height=26
        )
        parent.add_widget(self.search_status)
        self.results = self._label("", color=MUTED, valign="top")
        parent.add_widget(self.results)

    def _on_text(self, _entry: Any, text: str) -> None:
        if not self._typing:
            self.model.on_query(text)

    def _async(self, parent: Any) -> None:
        self._title(parent, "async/await on the UI thread: aio.start, @aio.handler, a local server")
        panel = self.model.aio
        self.aio_labels = {part: self._label("", size_hint_y=None, height=22) for part in PARTS}
        for text, action, part in (
            ("Echo", panel.echo, "echo"),
            ("Countdown", panel.count_down, "countdown"),
        ):
            line = self._line()
            line.add_widget(self._button(text, action, width=110))
            self.aio_labels[part].size_hint_y = 1
            line.add_widget(self.aio_labels[part])
            parent.add_widget(line)
        self.aio_labels["server"].color = MUTED
        parent.add_widget(self.aio_labels["server"])

    def _flood(self, parent: Any) -> None:
        g = self.k.graphics
        self._title(parent, f"Flood: {FLOOD_CALLS:,} calls from a worker; the ball keeps moving")
        self.track = self.k.uix.widget.Widget(size_hint=(None, None), size=(TRACK_W, 54))
        self._background(self.track, (0.93, 0.95, 1, 1))
        with self.track.canvas:
            g.Color(0.31, 0.27, 0.9, 1)
            self.ball = g.Ellipse(size=(BALL, BALL))
        self.track.bind(pos=lambda *_: self.ball_moved(self.model.ball))
        parent.add_widget(self.track)
        self.gap_label = self._label("frame gap: -", size_hint_y=None, height=24)
        parent.add_widget(self.gap_label)
        line = self._line()
        line.add_widget(
            self._button(f"Flood {FLOOD_CALLS:,} calls", self.model.flood_plain, width=190)
        )
        line.add_widget(
            self._button(f"Flood {FLOOD_CALLS:,} with key=", self.model.flood_keyed, width=210)
        )
        parent.add_widget(line)
        self.flood_labels = {}
        for kind in ("plain", "keyed"):
            self.flood_labels[kind] = self._label("", size_hint_y=None, height=22)
            parent.add_widget(self.flood_labels[kind])

    def _stats(self, parent: Any) -> None:
        self._title(parent, "Dispatch stats: d.stats(), 5 times a second")
        rows = self.model.stats_rows()
        grid = self.k.uix.gridlayout.GridLayout(cols=2, size_hint_y=None, height=20 * len(rows))
        self.stat_values: dict[str, Any] = {}
        for name, value in rows:
            grid.add_widget(self._label(name, color=MUTED))
            label = self._label(value)
            grid.add_widget(label)
            self.stat_values[name] = label
        parent.add_widget(grid)

    def _stalls(self, parent: Any) -> None:
        self._title(parent, f"Stall watchdog: d.watch_stalls(0.2, interval={STALL_INTERVAL})")
        line = self._line()
        line.add_widget(self._button("Block UI 0.5 s", self.model.block_ui, width=140))
        self.stall_label = self._label("no stall yet")
        line.add_widget(self.stall_label)
        parent.add_widget(line)

    # ------------------------------------------------------------------ DemoView

    def task_added(self, row: TaskRow) -> object:
        line = self._line()
        line.add_widget(self._label(row.name, size_hint_x=None, width=120))
        bar = self.k.uix.progressbar.ProgressBar(max=1.0, size_hint_x=None, width=190)
        line.add_widget(bar)
        status = self._label(row.status)
        line.add_widget(status)
        cancel = self._button("Cancel", functools.partial(self.model.cancel_task, row), width=80)
        line.add_widget(cancel)
        self.task_box.add_widget(line)
        self.rows[id(row)] = {"line": line, "bar": bar, "status": status, "cancel": cancel}
        return line

    def task_removed(self, row: TaskRow) -> None:
        widgets = self.rows.pop(id(row), None)
        if widgets is not None:
            self.task_box.remove_widget(widgets["line"])

    def task_changed(self, row: TaskRow) -> None:
        widgets = self.rows.get(id(row))
        if widgets is None:
            return
        widgets["bar"].value = row.value
        widgets["status"].text = row.status
        widgets["cancel"].disabled = row.finished

    def search_changed(self, status: str, results: tuple[str, ...]) -> None:
        self.search_status.text = status
        self.results.text = "\n".join(results[:8])

    def busy_changed(self, text: str) -> None:
        self.busy_label.text = f"pool: {text}"

    def flood_changed(self, kind: str, text: str) -> None:
        self.flood_labels[kind].text = text

    def ball_moved(self, x: float) -> None:
        tx, ty = self.track.pos
        self.ball.pos = (tx + 5 + x * (TRACK_W - 10 - BALL), ty + 14)

    def stats_changed(self, rows: list[tuple[str, str]], gaps: str) -> None:
        for name, value in rows:
            label = self.stat_values.get(name)
            if label is not None:
                label.text = value
        self.gap_label.text = gaps

    def stall_changed(self, stalled: bool, indicator: str, text: str | None) -> None:
        # Kivy's default font (Roboto) has no "●": the colour says it.
        self.indicator.text = f"[b]{indicator.lstrip('● ')}[/b]"
        self.indicator_bg.rgba = BAD if stalled else OK
        if text is not None:
            self.stall_label.text = text

    def aio_changed(self, part: str, text: str) -> None:
        self.aio_labels[part].text = text

    def set_query(self, text: str) -> None:
        self._typing = True  # the self-test calls on_query itself, once per keystroke
        try:
            self.entry.text = text
        finally:
            self._typing = False

    def size(self) -> tuple[int, int]:
        w, h = self.k.core.window.Window.size
        return int(w), int(h)

    def capture(self, path: str) -> str | None:
        try:
            self.root.export_to_png(path)
        except Exception as exc:
            return f"export_to_png failed: {exc}"
        return None


def run_kivy(selftest: float | None, screenshot: str | None) -> int:
    """Open the Kivy demo until its window closes (or the self-test ends); the exit status."""
    try:
        kivy = _import_kivy()
    except Exception as exc:  # no GL, no window provider: Kivy fails in many ways
        print(f"demo: cannot start Kivy ({exc}); pip install uidispatch-kivy", file=sys.stderr)
        return 1
    state: dict[str, Any] = {}

    App: Any = kivy.app.App

    class DemoApp(App):  # type: ignore[misc]
        title = "uidispatch demo"

        def build(self) -> Any:
            d = ud.get_dispatcher("kivy")
            ud.use(d)
            view = state["view"] = KivyView(kivy, d)
            view.model.start()
            if selftest is not None:
                from ._selftest import SelfTest

                test = state["test"] = SelfTest(view.model, selftest, screenshot, self.stop)
                test.start()
            return view.root

        def on_stop(self) -> None:
            view = state.get("view")
            if view is not None:
                view.model.close()

    try:
        DemoApp().run()
    except Exception:
        # Kivy routes sys.stderr into its (silenced) logger: say it where it is seen.
        traceback.print_exc(file=sys.__stderr__)
        return 1
    finally:
        ud.use(None)
    test = state.get("test")
    return test.interrupted() if test is not None else 0
