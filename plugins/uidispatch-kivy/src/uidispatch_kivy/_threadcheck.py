"""The Kivy part of the wrong-thread checker (``ud.check_threads``).

Kivy's widgets belong to the thread that runs its event loop (the main thread). Kivy
itself raises ``TypeError`` when a graphics instruction is made or changed off that
thread, but only where the instruction is touched: ``parent.add_widget(child)`` from a
worker sets ``child.parent`` and inserts it in ``parent.children`` before Kivy raises at
``canvas.add``, leaving the tree half-changed; and a property set (``label.text = "x"``)
raises nothing at all. So the part checks:

- **Property sets on widgets**, every Python: ``Widget.__setattr__`` is replaced (Kivy's
  ``Property.__set__`` and ``EventDispatcher`` are Cython types that cannot be patched).
  Only names that are Kivy properties of the widget's class are reported; every attribute
  set on a widget pays the check, the UI thread included. ``Property.set(obj, value)``
  and ``EventDispatcher.setter`` (``a.bind(x=b.setter("y"))``, whose setter Kivy runs in
  C) do not go through it.
- **Widget tree changes** (``add_widget``, ``remove_widget``, ``clear_widgets``):
  Python 3.12+ through :func:`classify` on the core's ``sys.monitoring`` watch, at the
  caller's call site before any Kivy code runs; before, ``Widget``'s methods are wrapped
  (a layout's own ``add_widget`` runs its first lines before it reaches ``Widget``'s).
- **Canvas changes**: Python 3.12+ through :func:`classify`, graphics instructions made
  (``Color(...)``, ``Rectangle(...)``, ``Canvas()``) and canvas methods (``add``,
  ``insert``, ``remove``, ``clear``...) are reported at the caller's line before Kivy's
  own ``TypeError``. Before 3.12 the instruction types cannot be patched: Kivy's own
  ``TypeError`` is all there is.

A widget made off the UI thread is reported as ``Label.__init__``: before 3.12 through a
wrapped ``Widget.__init__``, on 3.12+ through the canvas it makes. Not seen either: an
instruction's own properties (``rect.pos = ...``, where Kivy raises its ``TypeError``).
Kivy is hooked when the app imports it; the check never imports it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from uidispatch.hookspecs import ThreadCheckReporter, ThreadCheckSpec

__all__ = ["SPEC", "classify"]

_TREE_METHODS = ("add_widget", "remove_widget", "clear_widgets")
_CANVAS_METHODS = frozenset({"add", "insert", "remove", "clear", "remove_group", "ask_update"})
_widget_type: type | None = None
_instruction_type: type | None = None
_installed: list[tuple[type, str, object]] = []  # (class, attribute, what it held before)
_MISSING = object()


def _owner(fn: object, arg0: object, cls: type) -> Any:
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, cls):
        return owner
    # A method called through its class, or a site sys.monitoring reports as
    # (function, self): only a function defined in a class counts.
    if isinstance(arg0, cls) and "." in getattr(fn, "__qualname__", ""):
        return arg0
    return None


def classify(fn: object, arg0: object) -> str | None:
    """The operation a call of ``fn`` is, for the core's call watch, or ``None``.

    ``"BoxLayout.add_widget"`` for a widget tree change, ``"Canvas.add"`` for a canvas
    change, ``"Color()"`` for a graphics instruction made.
    """
    widget, instruction = _widget_type, _instruction_type
    if isinstance(fn, type):
        made = instruction is not None and issubclass(fn, instruction)
        return f"{fn.__name__}()" if made else None
    name = getattr(fn, "__name__", None)
    if name in _TREE_METHODS and widget is not None:
        owner = _owner(fn, arg0, widget)
    elif name in _CANVAS_METHODS and instruction is not None:
        owner = _owner(fn, arg0, instruction)
    else:
        return None
    return None if owner is None else f"{type(owner).__name__}.{name}"


def _checking_setattr(
    base: Callable[[object, str, object], None],
    property_type: type,
    ui: int,
    report: Callable[[str], None],
) -> Callable[[object, str, object], None]:
    get_ident = threading.get_ident

    def __setattr__(self: object, name: str, value: object) -> None:
        if get_ident() != ui and isinstance(getattr(type(self), name, None), property_type):
            report(f"{type(self).__name__}.{name} (set)")
        base(self, name, value)

    return __setattr__


def _checking_method(
    method: Callable[..., Any], ui: int, report: Callable[[str], None]
) -> Callable[..., Any]:
    get_ident = threading.get_ident
    name = method.__name__

    def checked(self: object, *args: Any, **kwargs: Any) -> Any:
        if get_ident() != ui:
            report(f"{type(self).__name__}.{name}")
        return method(self, *args, **kwargs)

    checked.__name__ = name
    checked.__qualname__ = method.__qualname__
    checked.__doc__ = method.__doc__
    checked.__wrapped__ = method  # type: ignore[attr-defined]
    return checked


def _patch(cls: type, name: str, value: object) -> None:
    _installed.append((cls, name, cls.__dict__.get(name, _MISSING)))
    setattr(cls, name, value)


def _install_widget(widget_module: Any, reporter: ThreadCheckReporter) -> None:
    global _widget_type
    widget: Any = widget_module.Widget
    property_type: type = sys.modules["kivy.properties"].Property  # kivy.uix.widget's import
    ui = threading.main_thread().ident or 0
    _patch(
        widget,
        "__setattr__",
        _checking_setattr(widget.__setattr__, property_type, ui, reporter.report),
    )
    if not reporter.watching_calls:  # else classify sees them at the caller's call site
        for name in (*_TREE_METHODS, "__init__"):
            _patch(widget, name, _checking_method(getattr(widget, name), ui, reporter.report))
    _widget_type = widget


def _found_instructions(module: Any) -> None:
    global _instruction_type
    _instruction_type = module.Instruction


def _install(reporter: ThreadCheckReporter) -> None:
    reporter.on_import("kivy.graphics.instructions", _found_instructions)
    reporter.on_import("kivy.uix.widget", lambda module: _install_widget(module, reporter))


def _uninstall() -> None:
    global _widget_type, _instruction_type
    _widget_type = _instruction_type = None
    while _installed:
        cls, name, before = _installed.pop()
        if before is _MISSING:
            delattr(cls, name)
        else:
            setattr(cls, name, before)


SPEC = ThreadCheckSpec(
    toolkit="kivy",
    install=_install,
    uninstall=_uninstall,
    classify=classify,
    modules=("kivy",),
    limits=(
        "Property.set(obj, value) and a widget's setter() called from C are not seen; "
        "instruction properties (rect.pos = ...), and before Python 3.12 graphics "
        "instructions, are left to Kivy's own TypeError; the UI thread is the main thread"
    ),
)
"""The Kivy part, returned by the plugin's ``uidispatch_thread_checks`` hook."""
