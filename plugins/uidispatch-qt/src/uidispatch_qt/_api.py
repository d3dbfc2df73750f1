"""Which Qt binding the backend drives, decided without importing Qt (qtpy-style selection).

The registry loads this plugin at startup and calls ``detect()`` from any thread, so
nothing here may import a binding: only ``sys.modules`` and ``importlib.util.find_spec``.
``UIDISPATCH_QT_API`` picks a binding explicitly, as qtpy's ``QT_API`` does; without it the
first supported binding that is imported (else installed) wins. PySide6 is the only binding
shipped and tested; adding one means an entry in :data:`BINDINGS` and a branch in
``_binding.py``.
"""

from __future__ import annotations

import importlib.util
import os
import sys

__all__ = ["API_ENV", "BINDINGS", "imported_binding", "installed_binding", "selected_binding"]

API_ENV = "UIDISPATCH_QT_API"
"""Environment variable naming the binding to use (``pyside6``)."""

BINDINGS: dict[str, str] = {"pyside6": "PySide6"}
"""Supported bindings: API name -> top-level module, in order of preference."""


def selected_binding() -> str:
    """The API name to use: ``UIDISPATCH_QT_API`` if set, else the imported or installed one.

    Any thread; never imports Qt.

    Raises:
        ValueError: ``UIDISPATCH_QT_API`` names an unsupported binding.

    """
    env = os.environ.get(API_ENV, "").strip().lower()
    if env:
        if env not in BINDINGS:
            raise ValueError(
                f"{API_ENV}={env!r} is not a supported Qt binding; supported: {', '.join(BINDINGS)}"
            )
        return env
    return imported_binding() or installed_binding() or next(iter(BINDINGS))


def imported_binding() -> str | None:
    """The API name of a supported binding already imported in this process, or ``None``."""
    env = os.environ.get(API_ENV, "").strip().lower()
    for api, module in BINDINGS.items():
        if (not env or env == api) and module in sys.modules:
            return api
    return None


def installed_binding() -> str | None:
    """The API name of a supported binding that could be imported, or ``None``. Never raises."""
    env = os.environ.get(API_ENV, "").strip().lower()
    for api, module in BINDINGS.items():
        if env and env != api:
            continue
        try:
            if importlib.util.find_spec(module) is not None:
                return api
        except (ImportError, ValueError):  # a broken or half-removed installation
            continue
    return None
