"""The shared backend conformance suite, on the real Qt loop."""

from __future__ import annotations

from typing import Any

from uidispatch_qt._binding import QtCore, delete, exec_

import uidispatch as ud
from uidispatch.testing.conformance import BackendConformance


class TestQtConformance(BackendConformance):
    backend = "qt"

    def dead_owner(self, dispatcher: ud.Dispatcher) -> object:
        obj = QtCore.QObject()
        self._keep = obj  # the wrapper lives on; its C++ object does not
        delete(obj)
        return obj

    def close_app(self, dispatcher: ud.Dispatcher) -> bool:
        app: Any = QtCore.QCoreApplication.instance()
        QtCore.QTimer.singleShot(0, app.quit)
        exec_(app)  # exec() emits aboutToQuit as it returns: the app's loop is over
        return True
