"""The Tk part of the wrong-thread checker (``ud.check_threads``).

Every tkinter operation (widget methods, ``Variable.set/get``, ``after``, images, fonts)
ends in a method of the interpreter object ``_tkinter.tkapp`` (``call``, ``eval``,
``globalsetvar``, ``createcommand``...). With a threaded Tcl, ``_tkinter`` runs such a call
from a worker on the Tk thread and makes the worker wait for it: the silent hand-over that
deadlocks a Tk thread joining the worker, and raises once ``mainloop()`` has ended.
So the part watches those methods:

- Python 3.12+: the core's ``sys.monitoring`` watch asks :func:`classify` about each call
  site; tkinter's own sites (``self.tk.call(...)``) call a ``tkapp`` method and stay
  watched, every other site is switched off after its first call. Every thread, every
  widget and variable, whenever it was made.
- Before: ``tk`` (widgets, images) and ``_tk`` (variables) become data descriptors on
  their classes, handing out a proxy of the interpreter whose methods check the thread
  (about +280 ns per Tcl call, UI thread included). Every thread; objects made before the
  check included. An interpreter reference saved elsewhere before the check started
  (``tk = root.tk``) is not seen.

The UI thread is the main thread. Interpreter methods that only convert values
(``getint``, ``splitlist``...) need no interpreter thread and are not reported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from uidispatch.hookspecs import ThreadCheckReporter, ThreadCheckSpec

__all__ = ["SPEC", "classify"]

_PURE = frozenset(
    {"getboolean", "getint", "getdouble", "split", "splitlist", "wantobjects", "interpaddr"}
)
_PROXY_KEY = "_uidispatch_threadcheck_tk"
_tkapp_type: type | None = None
_installed: list[tuple[type, str, object]] = []  # (class, attribute, what it held before)


def classify(fn: object, arg0: object) -> str | None:
    """``"tkapp.NAME"`` for a call of an interpreter method that needs the Tk thread."""
    tkapp = _tkapp_type
    if tkapp is None:
        return None
    if type(getattr(fn, "__self__", None)) is not tkapp and not (
        type(arg0) is tkapp and getattr(fn, "__objclass__", None) is tkapp
    ):
        return None
    name: str = getattr(fn, "__name__", "?")
    return None if name in _PURE else f"tkapp.{name}"


class _CheckedTkapp:
    """An interpreter whose methods report a call made off the UI thread, then make it."""

    def __init__(self, tkapp: Any, ui_thread: int, report: Callable[[str], None]) -> None:
        self.__dict__["_tkapp"] = tkapp
        self.__dict__["_ui"] = ui_thread
        self.__dict__["_report"] = report

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._tkapp, name)
        if name in _PURE or not callable(attr):
            return attr
        ui = self._ui
        report = self._report
        operation = f"tkapp.{name}"
        get_ident = threading.get_ident

        def checked(*args: Any) -> Any:
            if get_ident() != ui:
                report(operation)
            return attr(*args)

        self.__dict__[name] = checked  # found directly from now on
        return checked

    def __setattr__(self, name: str, value: object) -> None:
        setattr(self._tkapp, name, value)

    def __repr__(self) -> str:
        return repr(self._tkapp)


class _InterpreterAttribute:
    """``obj.tk`` / ``obj._tk`` as a data descriptor, handing out the checking proxy.

    It stores the real interpreter and keeps one proxy per object beside it.
    """

    def __init__(self, name: str, ui_thread: int, report: Callable[[str], None]) -> None:
        self._name = name
        self._ui = ui_thread
        self._report = report

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            raw = obj.__dict__[self._name]
        except KeyError:
            raise AttributeError(self._name) from None
        if type(raw) is not _tkapp_type:
            return raw  # None during Tk.__init__, or a stand-in
        proxy = obj.__dict__.get(_PROXY_KEY)
        if proxy is None or proxy._tkapp is not raw:
            proxy = _CheckedTkapp(raw, self._ui, self._report)
            obj.__dict__[_PROXY_KEY] = proxy
        return proxy

    def __set__(self, obj: Any, value: Any) -> None:
        if isinstance(value, _CheckedTkapp):
            value = value._tkapp
        obj.__dict__[self._name] = value

    def __delete__(self, obj: Any) -> None:
        del obj.__dict__[self._name]


def _install(reporter: ThreadCheckReporter) -> None:
    def found(module: ModuleType) -> None:
        global _tkapp_type
        _tkapp_type = module.TkappType

    reporter.on_import("_tkinter", found)
    if reporter.watching_calls:
        return  # sys.monitoring sees every interpreter call already
    import tkinter  # imported by the app already: this runs once it is

    ui = threading.main_thread().ident or 0
    for cls, name in ((tkinter.Misc, "tk"), (tkinter.Image, "tk"), (tkinter.Variable, "_tk")):
        _installed.append((cls, name, cls.__dict__.get(name, _MISSING)))
        setattr(cls, name, _InterpreterAttribute(name, ui, reporter.report))


_MISSING = object()


def _uninstall() -> None:
    global _tkapp_type
    while _installed:
        cls, name, before = _installed.pop()
        if before is _MISSING:
            delattr(cls, name)
        else:
            setattr(cls, name, before)
    _tkapp_type = None


def _lazy_install(reporter: ThreadCheckReporter) -> None:
    # tkinter is hooked once the app imports it, never imported by the check itself.
    reporter.on_import("tkinter", lambda _module: _install(reporter))


SPEC = ThreadCheckSpec(
    toolkit="tk",
    install=_lazy_install,
    uninstall=_uninstall,
    classify=classify,
    modules=("tkinter",),
    trusted_modules=(
        "uidispatch_tk._backend",
        "uidispatch_tk._wake",
        "uidispatch_tk._timer",
        "uidispatch_tk._runloop",
    ),
    limits=(
        "before Python 3.12, an interpreter reference saved before the check started "
        "(tk = root.tk) is not checked; the UI thread is the main thread"
    ),
)
"""The Tk part, returned by the plugin's ``uidispatch_thread_checks`` hook."""
