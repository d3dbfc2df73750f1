"""Registration, detection and binding selection of the ``qt`` plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest
import uidispatch_qt
from conftest import WAIT
from pytestqt.qtbot import QtBot
from uidispatch_qt import _api, _binding
from uidispatch_qt._binding import QtCore

import uidispatch as ud
from uidispatch.hookspecs import Detection


def _run(code: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter with ``env`` applied (None removes a variable)."""
    environ = dict(os.environ)
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
    )


INSTALLED = _api.installed_bindings()
QT_MODULES = (*_api.BINDINGS.values(), "shiboken6", "shiboken2", "sip")


def test_the_qt_backend_is_registered_through_its_entry_point() -> None:
    info = ud.backends()["qt"]
    assert info.loaded
    assert not info.builtin
    assert info.distribution == "uidispatch-qt"
    assert info.version == "0.1.0"
    assert info.requires == (_binding.MODULE,)


def test_loading_the_plugin_and_detecting_never_imports_qt() -> None:
    # A fresh interpreter: this one imported the binding through pytest-qt long ago.
    code = f"""
        import json, sys
        import uidispatch as ud
        import uidispatch_qt
        ud.backends()
        uidispatch_qt.uidispatch_doctor_lines()
        before = uidispatch_qt.detect(), uidispatch_qt.current_app()
        qt_loaded = sorted(m for m in sys.modules if m.split(".")[0] in {QT_MODULES!r})
        from {_binding.MODULE} import QtCore
        imported = uidispatch_qt.detect()
        app = QtCore.QCoreApplication([])
        print(json.dumps([before[0], before[1], qt_loaded, imported, uidispatch_qt.detect(),
                          uidispatch_qt.current_app() is app]))
        """
    out = _run(code)
    assert out.returncode == 0, out.stderr
    installed, app_before, qt_loaded, imported, with_app, same_app = json.loads(out.stdout)
    assert (installed, app_before, qt_loaded) == (Detection.INSTALLED, None, [])
    assert imported == Detection.IMPORTED
    assert with_app == Detection.APP
    assert same_app


CHOOSE_AND_QASYNC = """
    import json, os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    {before}
    from uidispatch_qt import _api
    choice = _api.choose()
    from uidispatch_qt import _binding
    import qasync
    import uidispatch as ud
    from uidispatch_qt import uidispatch_doctor_lines
    app = _binding.qt_module("QtWidgets").QApplication([])
    d = ud.get_dispatcher("qt")
    print(json.dumps([choice.module, choice.reason, _binding.MODULE, qasync.QtModuleName,
                      d.backend.name, list(uidispatch_doctor_lines())]))
"""


@pytest.mark.parametrize("api", INSTALLED)
def test_qt_api_picks_the_binding_and_qasync_agrees(api: str) -> None:
    module = _api.BINDINGS[api]
    out = _run(CHOOSE_AND_QASYNC.format(before=""), QT_API=api.upper())
    assert out.returncode == 0, out.stderr
    chosen, reason, used, qasync_module, name, lines = json.loads(out.stdout)
    assert (chosen, used, qasync_module, name) == (module, module, module, "qt")
    assert reason == f"QT_API={api.upper()}"
    assert lines[0].startswith(f"qt: binding {module} ")
    assert lines[0].endswith(f" (QT_API={api.upper()})")


@pytest.mark.parametrize("api", INSTALLED)
def test_the_binding_the_app_imported_wins_and_qasync_agrees(api: str) -> None:
    # Imported first, as an app does; QT_API unset: qasync takes the imported one too.
    module = _api.BINDINGS[api]
    before = f"from {module} import QtWidgets"
    out = _run(CHOOSE_AND_QASYNC.format(before=before), QT_API=None)
    assert out.returncode == 0, out.stderr
    chosen, reason, used, qasync_module, _, lines = json.loads(out.stdout)
    assert (chosen, used, qasync_module) == (module, module, module)
    assert reason == f"{module} is already imported by the app"
    assert f"({module} is already imported by the app)" in lines[0]


def test_without_qt_api_the_first_installed_in_qasyncs_order_is_used() -> None:
    out = _run(CHOOSE_AND_QASYNC.format(before=""), QT_API=None)
    assert out.returncode == 0, out.stderr
    chosen, reason, used, qasync_module, _, _ = json.loads(out.stdout)
    first = _api.BINDINGS[INSTALLED[0]]
    assert (chosen, used, qasync_module) == (first, first, first)
    assert reason == "the first installed (qasync's order)"


@pytest.mark.skipif(len(INSTALLED) < 2, reason="needs two Qt bindings installed (nox qt-mixed)")
def test_an_imported_binding_wins_over_qt_api_and_doctor_warns_about_qasync() -> None:
    app_api, env_api = INSTALLED[-1], INSTALLED[0]
    module = _api.BINDINGS[app_api]
    code = f"""
        import json
        from {module} import QtCore
        app = QtCore.QCoreApplication([])
        import uidispatch as ud
        from uidispatch_qt import _api, uidispatch_doctor_lines
        d = ud.get_dispatcher("qt")
        from uidispatch_qt import _binding
        print(json.dumps([_binding.MODULE, d.backend.app is app, _api.conflict(),
                          list(uidispatch_doctor_lines())]))
        """
    out = _run(code, QT_API=env_api)
    assert out.returncode == 0, out.stderr
    used, same_app, conflict, lines = json.loads(out.stdout)
    assert (used, same_app) == (module, True)
    env_module = _api.BINDINGS[env_api]
    assert conflict == (
        f"QT_API asks for {env_module} but the app imported {module}: qasync would import "
        f"{env_module}; unset QT_API or set QT_API={app_api}"
    )
    assert lines[-1] == f"qt: warning: {conflict}"
    assert any(line.startswith("qt: also installed: ") for line in lines)


def test_doctor_lines_name_the_binding_its_version_and_why() -> None:
    lines = uidispatch_qt.uidispatch_doctor_lines()
    version = _binding.versions()[0]
    assert lines[0].startswith(f"qt: binding {_binding.MODULE} {version} (")
    assert lines[0].endswith(f"({_api.choose().reason})")


def test_an_unsupported_qt_api_is_rejected_naming_the_variable_and_value() -> None:
    out = _run("from uidispatch_qt import _api; _api.choose()", QT_API="PyQt4")
    assert out.returncode != 0
    assert (
        "ValueError: QT_API='PyQt4' is not a Qt binding uidispatch-qt supports; use one of: "
        "pyqt5, pyqt6, pyside2, pyside6"
    ) in out.stderr


def test_qasyncs_aliases_for_qt_api_mean_the_qt6_bindings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_API", "pyqt")
    assert _api.env_binding() == "pyqt6"
    monkeypatch.setenv("QT_API", " PySide ")
    assert _api.env_binding() == "pyside6"
    monkeypatch.delenv("QT_API")
    assert _api.env_binding() is None


def test_without_any_binding_create_names_the_extras_to_install() -> None:
    # Each binding made unimportable (None in sys.modules), as on a machine without one.
    code = f"""
        import sys
        for name in {tuple(_api.BINDINGS.values())!r}:
            sys.modules[name] = None
        import uidispatch as ud, uidispatch_qt
        from uidispatch.hookspecs import Detection
        assert uidispatch_qt.detect() == Detection.NONE, uidispatch_qt.detect()
        print(uidispatch_qt.uidispatch_doctor_lines()[0])
        uidispatch_qt.create()
        """
    out = _run(code, QT_API=None)
    assert out.returncode != 0
    message = (
        "uidispatch-qt needs a Qt binding and none is installed: "
        "pip install uidispatch-qt[pyside6] (or [pyqt6], [pyqt5])"
    )
    assert f"ImportError: {message}" in out.stderr
    assert out.stdout.strip() == f"qt: no usable binding: {message}"


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


def test_detect_never_raises_even_with_a_bad_qt_api(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QT_API", "pyqt4")
    assert uidispatch_qt.detect() == Detection.APP  # the imported binding still counts
    assert uidispatch_qt.current_app() is qapp


def test_create_rejects_an_app_that_is_not_a_qcoreapplication(qapp: Any) -> None:
    with pytest.raises(TypeError, match=r"app must be a QCoreApplication for the qt backend"):
        uidispatch_qt.create(QtCore.QObject())


def test_create_without_an_application_says_how_to_make_one() -> None:
    code = "import uidispatch_qt; uidispatch_qt.create()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "no QCoreApplication exists: create QApplication(sys.argv)" in out.stderr


def test_doctor_prints_the_binding_in_use_and_why() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "uidispatch", "doctor"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    reason = _run("from uidispatch_qt import _api; print(_api.choose().reason)").stdout.strip()
    version = _binding.versions()[0]
    assert f"qt: binding {_binding.MODULE} {version} ({reason})" in out, out
