"""uidispatch-qt: the ``qt`` backend of uidispatch (PySide6, PyQt6, PyQt5, PySide2; qasync).

Importing this module never imports Qt: the registry loads it at startup. Qt is imported
when a backend is created, through :mod:`uidispatch_qt._binding`, which imports the binding
:mod:`uidispatch_qt._api` chose (the app's own, else ``QT_API``, else the first installed).

Usage::

    app = QApplication(sys.argv)
    d = uidispatch.get_dispatcher()        # picks "qt" once the application exists
    d.call_soon(label.setText, "done")     # from any thread
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from uidispatch.hookspecs import BackendSpec, Detection, ThreadCheckSpec, hookimpl

from ._api import (
    BINDINGS,
    choose,
    conflict,
    imported_binding,
    installed_binding,
    installed_bindings,
)
from ._runloop import run_loop as _run_loop

if TYPE_CHECKING:
    from ._backend import QtBackend

__all__ = [
    "create",
    "current_app",
    "detect",
    "uidispatch_backends",
    "uidispatch_doctor_lines",
    "uidispatch_thread_checks",
]

__version__ = "0.1.0"


def _qtcore() -> object | None:
    """The imported ``QtCore`` of the binding in use, without importing anything."""
    try:
        api = imported_binding()
    except Exception:
        return None
    if api is None:
        return None
    return sys.modules.get(BINDINGS[api] + ".QtCore")


def current_app() -> object | None:
    """``QCoreApplication.instance()`` if Qt is imported, else ``None``.

    Any thread; never imports Qt and never raises.
    """
    qtcore = _qtcore()
    if qtcore is None:
        return None
    try:
        app: object | None = qtcore.QCoreApplication.instance()  # type: ignore[attr-defined]
    except Exception:
        return None
    return app


def detect() -> int:
    """Score Qt: RUNNING inside ``exec()`` (or qasync, or a nested loop), APP, IMPORTED, INSTALLED.

    Any thread; never imports Qt and never raises.
    """
    try:
        if imported_binding() is None:
            return Detection.INSTALLED if installed_binding() is not None else Detection.NONE
        app = current_app()
        if app is None:
            return Detection.IMPORTED
        # loopLevel() counts the event loops running in the GUI thread: app.exec(), a
        # QEventLoop (pytest-qt's waits, qasync's run_until_complete) or a dialog's exec().
        if app.thread().loopLevel() > 0:  # type: ignore[attr-defined]
            return Detection.RUNNING
        return Detection.APP
    except Exception:
        return Detection.NONE


def create(app: object | None = None) -> QtBackend:
    """Build a :class:`~uidispatch_qt._backend.QtBackend` for ``app`` (default: the running one).

    Any thread. Imports Qt.

    Raises:
        RuntimeError: no application exists yet.
        TypeError: ``app`` is not a ``QCoreApplication``.
        ImportError: no Qt binding is installed (the message names the extras).
        ValueError: ``QT_API`` names an unsupported binding.

    """
    from ._backend import QtBackend

    return QtBackend(app)  # type: ignore[arg-type]  # validated by QtBackend


def _requires() -> tuple[str, ...]:
    # The module the backend would import: the chosen binding, else the recommended one.
    try:
        return (choose().module,)
    except (ImportError, ValueError):
        return ("PySide6",)


@hookimpl
def uidispatch_backends() -> list[BackendSpec]:
    """The ``qt`` backend."""
    return [
        BackendSpec(
            name="qt",
            create=create,
            detect=detect,
            current_app=current_app,
            requires=_requires(),
            distribution="uidispatch-qt",
            run_loop=_run_loop,
            description="Qt (PySide6, PyQt6, PyQt5, PySide2): posted events, QTimer; qasync",
        )
    ]


def _version(module: str) -> str:
    from importlib import metadata

    dist = {"PySide6": "PySide6-Essentials", "PySide2": "PySide2"}.get(module, module)
    for name in (dist, module):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "?"


@hookimpl
def uidispatch_doctor_lines() -> Sequence[str]:
    """For ``doctor``: the Qt binding in use (or that would be used) and why. Never imports Qt."""
    try:
        choice = choose()
    except (ImportError, ValueError) as exc:
        return [f"qt: no usable binding: {exc}"]
    lines = [f"qt: binding {choice.module} {_version(choice.module)} ({choice.reason})"]
    others = [BINDINGS[a] for a in BINDINGS if a != choice.api and a in installed_bindings()]
    if others:
        lines.append(f"qt: also installed: {', '.join(others)} (QT_API=<name> picks one)")
    why = conflict()
    if why:
        lines.append(f"qt: warning: {why}")
    return lines


@hookimpl
def uidispatch_thread_checks() -> list[ThreadCheckSpec]:
    """The Qt part of ``ud.check_threads`` (imports no binding; hooks the app's on import)."""
    from ._threadcheck import SPEC

    return [SPEC]
