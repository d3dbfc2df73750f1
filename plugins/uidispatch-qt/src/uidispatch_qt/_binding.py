"""The Qt binding in use, imported on first use; everything else imports Qt from here.

Only the backend and the benchmark import this module, and only once a backend is
created: the plugin's entry point must not import Qt (see ``_api``). Another binding is
added by a branch below that provides the same names with the same meaning (PyQt6 would
take ``QtCore`` from ``PyQt6`` and answer ``is_valid`` with ``not sip.isdeleted(obj)``).
"""

from __future__ import annotations

from ._api import selected_binding

__all__ = ["API", "QtCore", "address", "is_valid"]

API = selected_binding()
"""The API name of the binding in use (``"pyside6"``)."""

if API != "pyside6":  # pragma: no cover - _api.BINDINGS lists only PySide6 today
    raise ImportError(f"uidispatch-qt has no support for the Qt binding {API!r} yet")

# After the selection above, as qtpy does: which binding to import is decided at run time.
import shiboken6  # noqa: E402
from PySide6 import QtCore  # noqa: E402


def is_valid(obj: object) -> bool:
    """False once the C++ object behind a Qt wrapper was deleted; True for anything else."""
    if isinstance(obj, QtCore.QObject):
        return bool(shiboken6.isValid(obj))
    return True


def address(obj: QtCore.QObject) -> int:
    """The address of the C++ object behind a Qt wrapper (identity across wrappers)."""
    return int(shiboken6.getCppPointer(obj)[0])
