"""Which Qt binding the backend drives, decided without importing Qt.

The registry loads this plugin at startup and calls ``detect()`` from any thread, so
nothing here may import a binding: only ``sys.modules`` and ``importlib.util.find_spec``.

The rule, in order (:func:`choose`):

1. a binding the application already imported (the one holding a ``QCoreApplication``
   first): the backend must drive the app's own ``QApplication``, whatever else is set;
2. else ``QT_API`` (qtpy's and qasync's variable: ``pyside6``, ``pyqt6``, ``pyqt5``,
   ``pyside2``; qasync's aliases ``pyqt`` and ``pyside`` mean the Qt 6 ones);
3. else the first installed, in qasync's order (PyQt5, PyQt6, PySide2, PySide6).

Steps 2 and 3 are qasync's own rule (it reads ``QT_API``, then an imported binding, then
tries the same order), so qasync imported after this choice gets the same binding; the one
case where they part (``QT_API`` names a binding other than the one the app imported) is
reported by :func:`conflict` and ``doctor``, because qasync would then run a second Qt.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from typing import Any

__all__ = [
    "API_ENV",
    "BINDINGS",
    "Choice",
    "choose",
    "conflict",
    "env_binding",
    "imported_binding",
    "installed_binding",
    "installed_bindings",
    "selected_binding",
]

API_ENV = "QT_API"
"""Environment variable naming the binding (qtpy's and qasync's convention)."""

BINDINGS: dict[str, str] = {
    "pyqt5": "PyQt5",
    "pyqt6": "PyQt6",
    "pyside2": "PySide2",
    "pyside6": "PySide6",
}
"""Supported bindings: API name -> top-level module, in qasync's order of preference."""

ALIASES: dict[str, str] = {"pyqt": "pyqt6", "pyside": "pyside6"}
"""``QT_API`` values qasync accepts beside the API names."""

EXTRAS = "pip install uidispatch-qt[pyside6] (or [pyqt6], [pyqt5])"
"""The way out when no binding is installed."""


@dataclass(frozen=True)
class Choice:
    """The binding in use and why: ``api`` (``"pyqt6"``), ``module`` (``"PyQt6"``), ``reason``."""

    api: str
    module: str
    reason: str


def env_binding() -> str | None:
    """The API name ``QT_API`` asks for (aliases resolved), or ``None`` when unset.

    Raises:
        ValueError: ``QT_API`` names no supported binding.

    """
    raw = os.environ.get(API_ENV, "").strip()
    env = raw.lower()
    if not env:
        return None
    env = ALIASES.get(env, env)
    if env not in BINDINGS:
        raise ValueError(
            f"{API_ENV}={raw!r} is not a Qt binding uidispatch-qt supports; "
            f"use one of: {', '.join(sorted(BINDINGS))}"
        )
    return env


def _has_app(module: str) -> bool:
    qtcore: Any = sys.modules.get(module + ".QtCore")
    try:
        return qtcore is not None and qtcore.QCoreApplication.instance() is not None
    except Exception:
        return False


def imported_binding() -> str | None:
    """The API name of a supported binding already imported, or ``None``. Never raises.

    Of several imported, the one with a ``QCoreApplication`` wins, then ``QT_API``'s, then
    qasync's order.
    """
    modules = sys.modules  # a None entry blocks an import: not imported
    imported = [api for api, m in BINDINGS.items() if modules.get(m + ".QtCore") is not None]
    if not imported:
        imported = [api for api, m in BINDINGS.items() if modules.get(m) is not None]
    if len(imported) > 1:
        with_app = [api for api in imported if _has_app(BINDINGS[api])]
        if with_app:
            return with_app[0]
        try:
            env = env_binding()
        except ValueError:
            env = None
        if env in imported:
            return env
    return imported[0] if imported else None


def installed_bindings() -> list[str]:
    """The API names of the supported bindings that could be imported, in qasync's order."""
    found = []
    for api, module in BINDINGS.items():
        try:
            if importlib.util.find_spec(module) is not None:
                found.append(api)
        except (ImportError, ValueError):  # a broken or half-removed installation
            continue
    return found


def installed_binding() -> str | None:
    """The first installed binding in qasync's order, or ``None``. Never raises."""
    found = installed_bindings()
    return found[0] if found else None


def choose() -> Choice:
    """The binding to use and why (the rule in this module's docstring). Any thread.

    Never imports Qt.

    Raises:
        ValueError: ``QT_API`` names an unsupported binding (and none is imported).
        ImportError: no binding is imported or installed (names the extras to install).

    """
    api = imported_binding()
    try:
        env = env_binding()
    except ValueError:
        if api is None:
            raise
        env = None  # the app's binding is the only one that can work; conflict() says why
    if env is not None and api in (None, env):
        return Choice(env, BINDINGS[env], f"{API_ENV}={os.environ[API_ENV].strip()}")
    if api is not None:
        return Choice(api, BINDINGS[api], f"{BINDINGS[api]} is already imported by the app")
    api = installed_binding()
    if api is not None:
        return Choice(api, BINDINGS[api], "the first installed (qasync's order)")
    raise ImportError(f"uidispatch-qt needs a Qt binding and none is installed: {EXTRAS}")


def selected_binding() -> str:
    """The API name of :func:`choose`'s binding (``"pyside6"``). Same errors."""
    return choose().api


def conflict() -> str | None:
    """Why qasync would pick another binding than :func:`choose`, or ``None``. Never raises."""
    try:
        env = env_binding()
    except ValueError as exc:
        return str(exc)
    api = imported_binding()
    if env is not None and api is not None and env != api:
        return (
            f"{API_ENV} asks for {BINDINGS[env]} but the app imported {BINDINGS[api]}: "
            f"qasync would import {BINDINGS[env]}; unset {API_ENV} or set {API_ENV}={api}"
        )
    return None
