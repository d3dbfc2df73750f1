"""The Qt part of the wrong-thread checker (``ud.check_threads``), for every binding.

Widgets (``QWidget`` and its subclasses) and pixmaps belong to the GUI thread; other
``QObject``s may live on any thread, so they are not checked. Two sources:

- ``classify`` for the core's call watch: a ``QWidget``/``QPixmap`` method called on an
  instance (``label.setText``) or a widget class called to construct one (``QLabel()``,
  an app's own ``QWidget`` subclasses included). Python 3.12+: every thread, through
  ``sys.monitoring``. Before: only with ``check_threads(profile_threads=True)``, on threads
  started after the check, and constructors are not seen (a type call is no C call).
- Qt's own thread warnings (``QObject::setParent: Cannot set parent, new parent is in a
  different thread``, timers started from another thread...) through
  ``qInstallMessageHandler``, reported at the Python line that made Qt warn, on any
  Python. Qt already made the call by then: these are recorded and warned, never raised
  (``"raise"`` mode under pytest still fails the test). The handler chains to the one it
  replaced; pytest-qt installs its own around each test, so a check started before a test
  does not see Qt's warnings during it (start it inside the test, or rely on the watch).

A binding is hooked when the app imports it; the check never imports one.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from uidispatch.hookspecs import ThreadCheckReporter, ThreadCheckSpec

__all__ = ["SPEC", "classify"]

BINDINGS = ("PySide6", "PyQt6", "PyQt5", "PySide2")
# Qt's own messages about a call on the wrong thread (qobject.cpp, qpixmap.cpp, qtimer.cpp).
_THREAD_WORDS = (
    "different thread",
    "another thread",
    "outside the GUI thread",
    "outside the main thread",
)
_checked_types: tuple[type, ...] = ()
_handlers: list[tuple[Callable[..., Any], object]] = []  # (qInstallMessageHandler, previous)


def classify(fn: object, arg0: object) -> str | None:
    """``"QLabel.setText"`` / ``"QLabel()"`` for a widget's method or constructor, else None."""
    checked = _checked_types
    if not checked:
        return None
    if isinstance(fn, type):
        return f"{fn.__name__}()" if issubclass(fn, checked) else None
    owner = getattr(fn, "__self__", None)
    if not isinstance(owner, checked):
        # A method called through its class (sip's method descriptors).
        objclass = getattr(fn, "__objclass__", None)
        if objclass is None or not isinstance(arg0, checked) or not isinstance(arg0, objclass):
            return None
        owner = arg0
    return f"{type(owner).__name__}.{getattr(fn, '__name__', '?')}"


def _add_types(*types: type) -> None:
    global _checked_types
    _checked_types = tuple(dict.fromkeys((*_checked_types, *types)))


def _operation_of(message: str) -> str:
    # The first line names the call; the next ones carry object addresses (no de-dup).
    lines = message.strip().splitlines()
    return f"Qt warning: {lines[0][:100] if lines else message}"


def _install_handler(qtcore: ModuleType, reporter: ThreadCheckReporter) -> None:
    install = qtcore.qInstallMessageHandler
    previous: list[Any] = [None]

    def handler(mode: Any, context: Any, message: str) -> None:
        if any(words in message for words in _THREAD_WORDS) and not reporter.is_ui_thread():
            # Qt made the call already: record (and warn), never raise through Qt.
            with contextlib.suppress(Exception):
                reporter.report(_operation_of(message))
        if previous[0] is not None:
            previous[0](mode, context, message)
        else:
            sys.stderr.write(message + "\n")  # what Qt's default handler prints

    previous[0] = install(handler)
    _handlers.append((install, previous[0]))


def _install(reporter: ThreadCheckReporter) -> None:
    for binding in BINDINGS:
        reporter.on_import(f"{binding}.QtCore", lambda module: _install_handler(module, reporter))
        reporter.on_import(f"{binding}.QtWidgets", lambda module: _add_types(module.QWidget))
        reporter.on_import(f"{binding}.QtGui", lambda module: _add_types(module.QPixmap))


def _uninstall() -> None:
    global _checked_types
    while _handlers:
        install, previous = _handlers.pop()
        install(previous)
    _checked_types = ()


SPEC = ThreadCheckSpec(
    toolkit="qt",
    install=_install,
    uninstall=_uninstall,
    classify=classify,
    modules=(*BINDINGS, "shiboken6", "shiboken2", "sip"),
    limits=(
        "before Python 3.12, widget methods only with profile_threads=True (threads started "
        "after the check) and constructors only through Qt's own warnings; QObjects other "
        "than widgets and pixmaps may live on any thread and are not checked"
    ),
)
"""The Qt part, returned by the plugin's ``uidispatch_thread_checks`` hook."""
