"""When a main loop's run returns: the end of the app for a backend bound to no app object.

GLib and GTK signal nothing when a loop returns: ``g_main_loop_run()``, GTK 3's
``gtk_main()`` and ``g_application_run()`` just return to their caller, and the default
main context, the only thing an unbound backend knows, outlives every run. (A
``Gtk.Application`` emits ``shutdown``, a window ``destroy``: bound backends use those.)
So the three ways an app runs its loop from Python, ``Gtk.main()`` (GTK 3),
``GLib.MainLoop.run()`` and ``Gio.Application.run()`` (``Gtk.Application`` inherits it),
are wrapped, once per process, when the first backend without an app is created: the
wrapper counts the runs on its thread and, when the outermost one returns outside any
dispatch (``GLib.main_depth() == 0``: not a nested loop inside a handler), tells every
unbound backend of that thread. A run started before the hook was installed (a backend
first created inside an already running ``Gtk.main()``) is not seen.
"""

from __future__ import annotations

import functools
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["hook_loop_runs", "on_loop_return", "run_counted", "unhooked"]

_ORIGINAL = "__uidispatch_gtk_unhooked__"
_hook_lock = threading.Lock()


class _Returns(Protocol):
    def _loop_returned(self) -> None:
        """The loop run this thread ran returned."""


class _ThreadRuns(threading.local):
    def __init__(self) -> None:
        self.depth = 0  # hooked runs active on this thread
        self.watchers: weakref.WeakSet[Any] = weakref.WeakSet()


_runs = _ThreadRuns()


def on_loop_return(watcher: _Returns) -> None:
    """Call ``watcher._loop_returned()`` when this thread's outermost loop run returns.

    The run active now, or the next one. Held weakly; called once. The watcher's thread.
    """
    _runs.watchers.add(watcher)


def _returned(glib: Any) -> None:
    runs = _runs
    if runs.depth or glib.main_depth():
        return  # a loop nested in a handler of an outer loop, which goes on
    watchers = list(runs.watchers)
    runs.watchers = weakref.WeakSet()
    for watcher in watchers:
        watcher._loop_returned()


def _counted(glib: Any, run: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    _runs.depth += 1
    try:
        return run(*args, **kwargs)
    finally:
        _runs.depth -= 1
        _returned(glib)


def run_counted(run: Callable[..., Any], *args: Any) -> Any:
    """Call the loop run ``run(*args)`` as a hooked entry point: its return ends the app.

    For a loop entered through another door than the three wrapped ones (``aio.run_app``
    calls GTK's own functions, without PyGObject's signal helpers). Its thread.
    """
    from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return _counted(GLib, run, args, {})


def _hook(owner: Any, name: str, glib: Any) -> None:
    run = getattr(owner, name, None)
    if run is None or hasattr(run, _ORIGINAL):
        return

    @functools.wraps(run)
    def hooked(*args: Any, **kwargs: Any) -> Any:
        return _counted(glib, run, args, kwargs)

    setattr(hooked, _ORIGINAL, run)
    setattr(owner, name, hooked)


def hook_loop_runs() -> None:
    """Wrap ``Gtk.main`` (GTK 3, once imported), ``GLib.MainLoop.run``, ``Gio.Application.run``.

    Idempotent; any thread. Imports GLib and Gio, never Gtk.
    """
    from gi.repository import Gio, GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

    with _hook_lock:
        _hook(GLib.MainLoop, "run", GLib)
        _hook(Gio.Application, "run", GLib)
        gtk = sys.modules.get("gi.repository.Gtk")
        if gtk is not None:
            _hook(gtk, "main", GLib)  # GTK 4 has no Gtk.main: nothing to wrap


def unhooked(run: Callable[..., Any]) -> Callable[..., Any]:
    """``run`` as it was before :func:`hook_loop_runs` wrapped it."""
    original: Callable[..., Any] = getattr(run, _ORIGINAL, run)
    return original
