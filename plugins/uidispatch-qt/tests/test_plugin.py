"""Registration, detection and binding selection of the ``qt`` plugin."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest
import uidispatch_qt
from conftest import WAIT
from PySide6 import QtCore
from pytestqt.qtbot import QtBot
from uidispatch_qt import _api

import uidispatch as ud
from uidispatch.hookspecs import Detection


def test_the_qt_backend_is_registered_through_its_entry_point() -> None:
    info = ud.backends()["qt"]
    assert info.loaded
    assert not info.builtin
    assert info.distribution == "uidispatch-qt"
    assert info.version == "0.1.0"
    assert info.requires == ("PySide6",)


def test_loading_the_plugin_and_detecting_never_imports_qt() -> None:
    # A fresh interpreter: this one imported PySide6 through pytest-qt long ago.
    code = textwrap.dedent(
        """
        import json, sys
        import uidispatch as ud
        import uidispatch_qt
        ud.backends()
        before = uidispatch_qt.detect(), uidispatch_qt.current_app()
        qt_loaded = any(m.split(".")[0] in ("PySide6", "shiboken6") for m in sys.modules)
        from PySide6 import QtCore
        imported = uidispatch_qt.detect()
        app = QtCore.QCoreApplication([])
        print(json.dumps([before[0], before[1], qt_loaded, imported, uidispatch_qt.detect(),
                          uidispatch_qt.current_app() is app]))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    installed, app_before, qt_loaded, imported, with_app, same_app = json.loads(out.stdout)
    assert (installed, app_before, qt_loaded) == (Detection.INSTALLED, None, False)
    assert imported == Detection.IMPORTED
    assert with_app == Detection.APP
    assert same_app


def test_detect_scores_a_running_event_loop_above_an_existing_app(qapp: Any, qtbot: QtBot) -> None:
    assert uidispatch_qt.detect() == Detection.APP
    seen: list[int] = []
    QtCore.QTimer.singleShot(0, lambda: seen.append(uidispatch_qt.detect()))
    qtbot.waitUntil(lambda: bool(seen), timeout=int(WAIT * 1000))
    assert seen == [Detection.RUNNING]
    assert uidispatch_qt.current_app() is qapp


def test_auto_detection_picks_qt_once_the_application_exists(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UIDISPATCH_BACKEND", raising=False)
    ud.use(None)
    d = ud.get_dispatcher()
    try:
        assert d.backend.name == "qt"
        assert ud.get_dispatcher() is d
        assert ud.get_dispatcher("qt") is d
    finally:
        d.close()
    fresh = ud.get_dispatcher("qt")
    assert fresh is not d
    assert not fresh.closed
    fresh.close()


def test_detect_never_raises_and_scores_none_for_an_unsupported_binding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(_api.API_ENV, "pyqt5")
    assert uidispatch_qt.detect() == Detection.NONE
    assert uidispatch_qt.current_app() is None


def test_an_unsupported_binding_is_rejected_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(_api.API_ENV, "PyQt5")
    with pytest.raises(
        ValueError, match=r"UIDISPATCH_QT_API='pyqt5' is not a supported Qt binding"
    ):
        _api.selected_binding()
    monkeypatch.setenv(_api.API_ENV, "PySide6")
    assert _api.selected_binding() == "pyside6"


def test_create_rejects_an_app_that_is_not_a_qcoreapplication(qapp: Any) -> None:
    with pytest.raises(TypeError, match=r"app must be a QCoreApplication for the qt backend"):
        uidispatch_qt.create(QtCore.QObject())


def test_create_without_an_application_says_how_to_make_one() -> None:
    code = "import uidispatch_qt; uidispatch_qt.create()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "no QCoreApplication exists: create QApplication(sys.argv)" in out.stderr
