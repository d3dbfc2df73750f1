"""The Qt side of ``AppWindow``: close events of the last window, closing, ``app.exec()``.

The close request is the ``QEvent.Close`` of the app's last main window: a top-level
widget without a parent that is visible and has ``WA_QuitOnClose`` (the windows whose
closing quits a Qt app). An event filter on the app's top-level widgets sees it before the
widget does; a vetoed request is ignored there (``event.ignore()``), so the widget's own
``closeEvent`` never runs, as when it ignores the event itself. A granted one reaches the
widget as if we were not there. Closing any other window is not a request.

The filter watches the widgets that are top-level when ``on_close_requested`` and
``run_main_loop`` run; a main window created later closes without being asked, and then
the app ends as when it deletes its window. The filter is a child of the application (it
is deleted on the GUI thread, with it) and reaches the backend through a weak reference.

``close_app`` closes every window (their ``closeEvent`` runs, so an app saves its state as
on a granted request) and then ``exit(0)``: ``quit()`` can be vetoed by a window in Qt 6,
and ``run_main_loop`` must return. Before ``exec()`` runs, ``exit`` does nothing in Qt, so
a close made then ends the next ``run_main_loop`` at once.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uidispatch.backendkit import CloseRequests

from ._binding import QtCore, exec_, is_valid, qt_module

if TYPE_CHECKING:
    from PySide6 import QtWidgets

    from ._backend import QtBackend
else:
    QtWidgets = qt_module("QtWidgets")

__all__ = ["QtWindow", "window_of"]

# Read at import, under the import lock: PySide6 builds its enums lazily.
_CLOSE = QtCore.QEvent.Type.Close
_QUIT_ON_CLOSE = QtCore.Qt.WidgetAttribute.WA_QuitOnClose
_NOT_MAIN = (QtCore.Qt.WindowType.Popup, QtCore.Qt.WindowType.ToolTip)


def _main_windows(app: QtCore.QCoreApplication) -> list[QtWidgets.QWidget]:
    """The top-level widgets whose closing can quit the app (shown or not)."""
    if not isinstance(app, QtWidgets.QApplication):
        return []  # a QCoreApplication or QGuiApplication has no widgets
    return [
        w
        for w in QtWidgets.QApplication.topLevelWidgets()
        if w.parentWidget() is None
        and w.testAttribute(_QUIT_ON_CLOSE)
        and w.windowType() not in _NOT_MAIN
    ]


class _CloseFilter(QtCore.QObject):
    """The event filter on the main windows; a child of the application."""

    def __init__(self, window: QtWindow, app: QtCore.QCoreApplication) -> None:
        super().__init__(app)
        self._window = weakref.ref(window)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Ask on the close event of the last main window; True (filtered) when vetoed."""
        if event.type() != _CLOSE:
            return False
        window = self._window()
        if window is None or window._allow(watched):
            return False
        event.ignore()  # the widget's close() sees an ignored event: the window stays
        return True


class QtWindow:
    """Close requests, closing and the main loop of one backend's application. GUI thread."""

    def __init__(self, backend: QtBackend) -> None:
        self._backend = weakref.ref(backend)
        self.requests = CloseRequests()
        self._filter: _CloseFilter | None = None
        self._watched: weakref.WeakSet[Any] = weakref.WeakSet()
        self._closing = False  # close_app's own closes are not requests
        self._running = False  # inside run_main_loop's exec()
        self._exit_pending = False  # close_app ran before exec(): end the next one at once

    def _app(self) -> QtCore.QCoreApplication | None:
        backend = self._backend()
        app = backend.app if backend is not None else None
        return app if app is not None and is_valid(app) else None

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send close events of the last main window to ``fn`` (None: Qt's own behaviour)."""
        self.requests.set(fn)
        if fn is None:
            self._unwatch()
        else:
            self._watch()

    def _watch(self) -> None:
        app = self._app()
        if app is None:
            return
        if self._filter is None or not is_valid(self._filter):
            self._filter = _CloseFilter(self, app)
        for widget in _main_windows(app):
            if widget not in self._watched:
                widget.installEventFilter(self._filter)
                self._watched.add(widget)

    def _unwatch(self) -> None:
        flt = self._filter
        for widget in list(self._watched):
            if flt is not None and is_valid(widget) and is_valid(flt):
                widget.removeEventFilter(flt)
        self._watched = weakref.WeakSet()

    def _allow(self, widget: QtCore.QObject) -> bool:
        """Whether the close event of ``widget`` goes ahead (asks ``fn`` for the last window)."""
        if self._closing or self.requests.fn is None:
            return True
        app = self._app()
        if app is None or not isinstance(widget, QtWidgets.QWidget) or not widget.isVisible():
            return True
        mains = _main_windows(app)
        if widget not in mains:
            return True  # a secondary window: closing it ends nothing
        if any(w.isVisible() for w in mains if w is not widget):
            return True  # not the last one
        return self.requests.ask()

    def close_app(self) -> None:
        """Close every window and leave ``exec()``; idempotent. GUI thread."""
        app = self._app()
        if app is None:
            return
        self._closing = True
        try:
            if isinstance(app, QtWidgets.QApplication):
                QtWidgets.QApplication.closeAllWindows()
        finally:
            self._closing = False
        if self._running:
            app.exit(0)
        else:
            self._exit_pending = True

    def run_main_loop(self) -> None:
        """``app.exec()`` until the app quits (its last window closed, or :meth:`close_app`)."""
        app = self._app()
        if app is None:
            return
        if self._exit_pending:
            self._exit_pending = False
            return
        if self.requests.fn is not None:
            self._watch()  # the windows main's first steps made
        self._running = True
        try:
            exec_(app)
        finally:
            self._running = False
            self._exit_pending = False


def window_of(backend: Any) -> QtWindow:
    """The backend's :class:`QtWindow`, made on first use."""
    window: QtWindow | None = backend.__dict__.get("_window")
    if window is None:
        window = backend._window = QtWindow(backend)
    return window
