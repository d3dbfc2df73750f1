"""The Qt binding in use, imported on first use; everything else imports Qt from here.

Only the backend, the benchmark and the tests import this module, and only once a backend
is created: the plugin's entry point must not import Qt (see ``_api``). Each binding
provides the same names with the same meaning: ``QtCore``, ``Signal`` and ``Slot``
(``pyqtSignal``/``pyqtSlot`` on PyQt), ``is_valid`` (``shiboken.isValid`` on PySide,
``not sip.isdeleted`` on PyQt), ``address`` and ``delete``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._api import BINDINGS, choose

__all__ = [
    "API",
    "CHOICE",
    "MODULE",
    "QtCore",
    "Signal",
    "Slot",
    "address",
    "delete",
    "exec_",
    "is_valid",
    "qt_module",
    "versions",
]

CHOICE = choose()
"""The binding in use and why (:class:`uidispatch_qt._api.Choice`)."""
API = CHOICE.api
"""The API name of the binding in use (``"pyside6"``, ``"pyqt6"``, ``"pyqt5"``, ``"pyside2"``)."""
MODULE = BINDINGS[API]
"""Its top-level module (``"PySide6"``)."""


def qt_module(name: str) -> ModuleType:
    """``QtWidgets``, ``QtGui``... of the binding in use (``MODULE + "." + name``)."""
    return importlib.import_module(f"{MODULE}.{name}")


if TYPE_CHECKING:  # typed as PySide6's (the stubs mypy sees); at run time, the chosen one's
    from PySide6 import QtCore
    from PySide6.QtCore import Signal, Slot
else:
    try:
        QtCore = qt_module("QtCore")
    except ImportError as exc:
        raise ImportError(
            f"uidispatch-qt chose {MODULE} ({CHOICE.reason}) but cannot import it: {exc}"
        ) from exc
    PYSIDE = API.startswith("pyside")
    Signal = QtCore.Signal if PYSIDE else QtCore.pyqtSignal
    Slot = QtCore.Slot if PYSIDE else QtCore.pyqtSlot

if API.startswith("pyside"):
    _shiboken: Any = importlib.import_module("shiboken6" if API == "pyside6" else "shiboken2")

    def _valid(obj: object) -> bool:
        return bool(_shiboken.isValid(obj))

    def _address(obj: object) -> int:
        return int(_shiboken.getCppPointer(obj)[0])

    def _delete(obj: object) -> None:
        _shiboken.delete(obj)

    def versions() -> tuple[str, str]:
        """(binding version, Qt version) of the binding in use."""
        return str(importlib.import_module(MODULE).__version__), str(QtCore.qVersion())

else:
    _sip: Any = qt_module("sip")

    def _valid(obj: object) -> bool:
        return not _sip.isdeleted(obj)

    def _address(obj: object) -> int:
        return int(_sip.unwrapinstance(obj))

    def _delete(obj: object) -> None:
        _sip.delete(obj)

    def versions() -> tuple[str, str]:
        """(binding version, Qt version) of the binding in use."""
        return str(getattr(QtCore, "PYQT_VERSION_STR", "?")), str(QtCore.qVersion())


def is_valid(obj: object) -> bool:
    """False once the C++ object behind a Qt wrapper was deleted; True for anything else."""
    if isinstance(obj, QtCore.QObject):
        return _valid(obj)
    return True


def address(obj: object) -> int:
    """The address of the C++ object behind a Qt wrapper (identity across wrappers)."""
    return _address(obj)


def exec_(obj: Any) -> int:
    """``obj.exec()`` (an application, event loop or dialog); PySide2 names it ``exec_``."""
    run = getattr(obj, "exec", None) or obj.exec_
    return int(run() or 0)


def delete(obj: object) -> None:
    """Delete the C++ object behind a Qt wrapper now (tests: a widget destroyed under us)."""
    _delete(obj)
