"""The GTK part of the wrong-thread checker (``ud.check_threads``).

GTK is not thread-safe: every GTK call belongs on the thread that runs the main loop, and
GTK itself rarely warns when a worker makes one (the app crashes later, or paints
garbage). PyGObject calls GTK through ``gi.FunctionInfo`` objects (``label.set_text``,
``Gtk.Label.new``, ``Gtk.main_level``; their C symbols start with ``gtk_``), a few Python
overrides in ``gi.overrides.Gtk`` (``Gtk.main_quit``, ``Gtk.Label.__init__``), and
``GObject`` methods on GTK objects (``set_property``). The part checks:

- Python 3.12+: :func:`classify` on the core's ``sys.monitoring`` watch, at the caller's
  call site: any GTK function or method (the GTK version queries excepted), a GTK class
  called to construct an object (an app's own subclasses included), a GTK override, and
  ``set_property``/``get_property``/``emit`` on a GTK object. Every thread, every object
  whenever it was made.
- Before: the methods of the GTK classes become checking Python functions (on the classes
  made so far, and on each one PyGObject makes later, as it makes them lazily), and
  calling a GTK class is checked. Costs a Python call per GTK method call and per
  ``GObject`` made, the UI thread's included. Module-level functions (``Gtk.main_quit``)
  and ``GObject`` methods (``set_property``) are not seen.

A method is named after the class that defines it (``Widget.show_all`` for
``window.show_all()``): PyGObject's bound methods do not expose their object. Property
sets through ``obj.props.name = value`` are not calls and are not seen. The UI thread is
the main thread. GTK is hooked when the app imports it; the check never imports it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import FunctionType, MethodType, ModuleType
from typing import Any

from uidispatch.hookspecs import ThreadCheckReporter, ThreadCheckSpec

__all__ = ["SPEC", "classify"]

_GTK_MODULES = frozenset({"gi.repository.Gtk", "gi.overrides.Gtk"})
# Constant queries GTK allows from any thread.
_ANY_THREAD = frozenset(
    {
        "gtk_get_major_version",
        "gtk_get_minor_version",
        "gtk_get_micro_version",
        "gtk_get_binary_age",
        "gtk_get_interface_age",
        "gtk_check_version",
    }
)
_OBJECT_METHODS = frozenset({"set_property", "get_property", "set_properties", "emit"})
_function_info: type | None = None  # gi.FunctionInfo
_gobject: type | None = None  # gi._gi.GObject
_meta: type | None = None  # gi.types.GObjectMeta
_symbols: dict[str, str | None] = {}  # C symbol -> operation (None: not GTK's)
_classes: dict[type, bool] = {}  # class -> whether it is GTK's (or derives from one)
_classes_wrapped: set[type] = set()  # (before 3.12) GTK classes whose methods check
_installed: list[tuple[Any, str, object]] = []  # (owner, attribute, what it held before)
_MISSING = object()


def _gtk_class(cls: type) -> bool:
    known = _classes.get(cls)
    if known is None:
        known = _classes[cls] = any(
            getattr(c, "__module__", None) in _GTK_MODULES for c in cls.__mro__
        )
    return known


def _info_operation(info: Any) -> str | None:
    symbol: str = info.get_symbol()
    try:
        return _symbols[symbol]
    except KeyError:
        pass
    operation = None
    if symbol.startswith("gtk_") and symbol not in _ANY_THREAD:
        container = info.get_container()
        owner = "Gtk" if container is None else container.get_name()
        operation = f"{owner}.{info.get_name()}"
    _symbols[symbol] = operation
    return operation


def classify(fn: object, arg0: object) -> str | None:
    """The GTK operation a call of ``fn`` is (``"Label.set_text"``, ``"Label.__init__"``).

    ``None`` for anything that is not a GTK call. Any thread; never raises for a
    non-GTK callable.
    """
    kind = type(fn)
    if kind is _function_info:
        return _info_operation(fn)
    meta = _meta
    if meta is not None and isinstance(fn, meta):
        cls: Any = fn
        return f"{cls.__name__}.__init__" if _gtk_class(cls) else None
    if kind is MethodType:
        arg0 = getattr(fn, "__self__", None)
        fn = getattr(fn, "__func__", None)
        kind = type(fn)
    if kind is FunctionType:
        function: Any = fn
        if function.__module__ != "gi.overrides.Gtk":
            return None
        name: str = function.__qualname__
        return name if "." in name else f"Gtk.{name}"
    name = getattr(fn, "__name__", "")
    if name in _OBJECT_METHODS and _gobject is not None:
        owner = getattr(fn, "__self__", None)
        if not isinstance(owner, _gobject):
            objclass = getattr(fn, "__objclass__", None)
            owner = arg0 if objclass is _gobject else None
        if isinstance(owner, _gobject) and _gtk_class(type(owner)):
            return f"{type(owner).__name__}.{name}"
    return None


# --------------------------------------------------------------- before Python 3.12


def _checking(
    info: Any, operation: str, ui: int, report: Callable[[str], None], *, method: bool
) -> Any:
    get_ident = threading.get_ident
    checked: Callable[..., Any]
    if method:

        def checked(self: object, *args: Any, **kwargs: Any) -> Any:
            if get_ident() != ui:
                report(operation)
            return info(self, *args, **kwargs)

    else:

        def checked(*args: Any, **kwargs: Any) -> Any:
            if get_ident() != ui:
                report(operation)
            return info(*args, **kwargs)

    checked.__name__ = checked.__qualname__ = info.get_name()
    checked.__doc__ = info.__doc__
    setattr(checked, "__wrapped__", info)  # noqa: B010  # inspect.unwrap finds the GTK call
    return checked if method else staticmethod(checked)


def _patch(owner: Any, name: str, value: object) -> None:
    _installed.append((owner, name, owner.__dict__.get(name, _MISSING)))
    setattr(owner, name, value)


def _wrap_class(cls: Any, ui: int, report: Callable[[str], None]) -> None:
    """Replace the ``FunctionInfo`` methods in a GTK class's own dictionary."""
    if getattr(cls, "__module__", None) != "gi.repository.Gtk" or cls in _classes_wrapped:
        return
    _classes_wrapped.add(cls)
    for name, value in list(cls.__dict__.items()):
        if type(value) is _function_info:
            info: Any = value
            operation = _info_operation(info)
            if operation is not None:
                checked = _checking(info, operation, ui, report, method=info.is_method())
                _patch(cls, name, checked)


def _install_patches(types_module: ModuleType, reporter: ThreadCheckReporter) -> None:
    ui = threading.main_thread().ident or 0
    report = reporter.report
    meta: Any = types_module.GObjectMeta
    original = meta.__init__

    def __init__(cls: Any, *args: Any, **kwargs: Any) -> None:
        original(cls, *args, **kwargs)
        _wrap_class(cls, ui, report)  # PyGObject makes a GTK class on its first use

    _patch(meta, "__init__", __init__)
    # Construction: the overrides' __init__ (Gtk.Label's) call the base __init__ they saw
    # at import, past any patch of Gtk.Widget's, so the class call itself is checked.
    make = meta.__call__
    get_ident = threading.get_ident

    def __call__(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if get_ident() != ui and _gtk_class(cls):
            report(f"{cls.__name__}.__init__")
        return make(cls, *args, **kwargs)

    _patch(meta, "__call__", __call__)
    if "gi.repository.Gtk" in sys.modules:  # classes made before the check started
        from gi.module import get_introspection_module  # type: ignore[import-untyped,import-not-found,unused-ignore]

        for value in list(vars(get_introspection_module("Gtk")).values()):
            if isinstance(value, meta):
                _wrap_class(value, ui, report)


# --------------------------------------------------------------- install


def _found_gi(module: ModuleType) -> None:
    global _function_info, _gobject
    _function_info = getattr(module, "FunctionInfo", None)
    _gobject = getattr(module, "GObject", None)


def _install(reporter: ThreadCheckReporter) -> None:
    def found_types(module: ModuleType) -> None:
        global _meta
        _meta = module.GObjectMeta
        if not reporter.watching_calls:  # else classify sees every call at its call site
            _install_patches(module, reporter)

    reporter.on_import("gi._gi", _found_gi)
    reporter.on_import("gi.types", found_types)


def _uninstall() -> None:
    global _function_info, _gobject, _meta
    while _installed:
        owner, name, before = _installed.pop()
        if before is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, before)
    _classes_wrapped.clear()
    _function_info = _gobject = _meta = None


SPEC = ThreadCheckSpec(
    toolkit="gtk",
    install=_install,
    uninstall=_uninstall,
    classify=classify,
    modules=("gi",),
    # The backend's detection and set-up may run on a worker (a first get_dispatcher()
    # there) and ask GTK for its loop depth and windows, by design.
    trusted_modules=("uidispatch_gtk",),
    limits=(
        "obj.props.name = value is not seen; a method is named after the class defining it; "
        "before Python 3.12, module-level functions (Gtk.main_quit) and GObject methods "
        "(set_property) are not seen; the UI thread is the main thread"
    ),
)
"""The GTK part, returned by the plugin's ``uidispatch_thread_checks`` hook."""
