"""uidispatch-gtk: the ``gtk`` backend for uidispatch, on the GLib main loop (GTK 3 and 4).

Registered under the ``uidispatch`` entry-point group. Importing this module never
imports PyGObject: ``detect`` reads ``sys.modules``, and GLib is imported when a backend
is created. The app picks its GTK version (``gi.require_version("Gtk", "3.0")``) as
usual; the backend needs only GLib.

Detection (no frame inspection): a GLib main loop running on this thread or GTK 3's
``Gtk.main_level()`` scores ``RUNNING``; GTK's own registries, a default
``Gtk.Application`` or a toplevel window, score ``APP``; PyGObject imported scores
``IMPORTED``; importable ``INSTALLED``. A dispatcher binds to the default
``Gtk.Application`` when there is one (and closes with its ``shutdown``), else to the
default main context (and closes when the loop run it served returns: ``Gtk.main()``,
``GLib.MainLoop.run()``, ``Gio.Application.run()``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from uidispatch.backendkit import detect_toolkit
from uidispatch.hookspecs import BackendSpec, ThreadCheckSpec, hookimpl

if TYPE_CHECKING:
    from ._backend import GtkBackend

__all__ = [
    "GtkBackend",
    "create",
    "current_app",
    "detect",
    "run_loop",
    "uidispatch_backends",
    "uidispatch_doctor_lines",
    "uidispatch_thread_checks",
]

__version__ = "0.1.0"


def _running() -> bool:
    glib = sys.modules.get("gi.repository.GLib")
    if glib is not None and glib.main_depth() > 0:
        return True
    gtk = sys.modules.get("gi.repository.Gtk")
    main_level = getattr(gtk, "main_level", None)  # GTK 3 only
    return main_level is not None and main_level() > 0


def _app_exists() -> bool:
    if current_app() is not None:
        return True
    gtk = sys.modules.get("gi.repository.Gtk")
    return gtk is not None and len(gtk.Window.list_toplevels()) > 0


def detect() -> int:
    """Score GTK: RUNNING in a main loop, APP, IMPORTED, INSTALLED. Any thread; never raises."""
    return detect_toolkit("gi", running=_running, app=_app_exists)


def current_app() -> object | None:
    """The default ``Gtk.Application`` (``Gio.Application.get_default()``), else ``None``."""
    gio = sys.modules.get("gi.repository.Gio")
    if gio is None:
        return None
    try:
        app: object | None = gio.Application.get_default()
    except Exception:
        return None
    return app


def create(app: object | None = None) -> GtkBackend:
    """Build a :class:`GtkBackend` for ``app`` on the calling thread (the main loop's).

    Raises:
        ImportError: PyGObject is not installed (see the README: it builds from source).
        TypeError: ``app`` is neither ``None``, a ``Gtk.Application`` nor a ``Gtk.Window``.

    """
    try:
        from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"the gtk backend needs PyGObject ({exc}); pip install PyGObject (it builds "
            "against gobject-introspection: apt install libgirepository1.0-dev libcairo2-dev)"
        ) from exc
    from ._backend import GtkBackend

    return GtkBackend(app)


def run_loop(backend: Any, until: Callable[[], object], timeout: float) -> None:
    """Run ``GLib.MainLoop().run()`` (what ``Gtk.main()`` and ``app.run()`` run).

    Returns once ``until()`` holds or ``timeout`` passed, checked every 5 ms by a GLib
    timeout source of its own. Main thread.
    """
    from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from ._runs import unhooked

    loop = GLib.MainLoop()
    deadline = time.monotonic() + timeout

    def check() -> bool:
        if until() or time.monotonic() >= deadline:
            loop.quit()
            return False
        return True

    GLib.timeout_add(5, check)
    # A test pumping the loop between its checks: not the app's run ending, so not the
    # wrapped run() that closes backends bound to no app when it returns.
    unhooked(GLib.MainLoop.run)(loop)


@hookimpl
def uidispatch_backends() -> list[BackendSpec]:
    """The ``gtk`` backend."""
    return [
        BackendSpec(
            name="gtk",
            create=create,
            detect=detect,
            current_app=current_app,
            requires=("gi",),
            distribution="uidispatch-gtk",
            description="GTK 3/4 on GLib: one idle source per batch, one timeout source",
            run_loop=run_loop,
        )
    ]


@hookimpl
def uidispatch_doctor_lines() -> Sequence[str]:
    """PyGObject, GLib and the GTK versions installed (typelibs), without loading GTK."""
    try:
        import gi  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from gi.repository import GLib  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as exc:
        return [f"gtk: PyGObject not importable ({exc})"]
    glib = f"{GLib.MAJOR_VERSION}.{GLib.MINOR_VERSION}.{GLib.MICRO_VERSION}"
    lines = [f"gtk: PyGObject {gi.__version__}, GLib {glib}"]
    gtk = sys.modules.get("gi.repository.Gtk")
    if gtk is not None:
        version = f"{gtk.get_major_version()}.{gtk.get_minor_version()}.{gtk.get_micro_version()}"
        lines.append(f"gtk: GTK {version} in use")
    available = gi.Repository.get_default().enumerate_versions("Gtk")
    lines.append(f"gtk: GTK typelibs installed: {', '.join(sorted(available)) or 'none'}")
    return lines


@hookimpl
def uidispatch_thread_checks() -> list[ThreadCheckSpec]:
    """The GTK part of ``ud.check_threads`` (imports no PyGObject until the app does)."""
    from ._threadcheck import SPEC

    return [SPEC]


def __getattr__(name: str) -> Any:
    # GtkBackend is importable from here without importing PyGObject at plugin load.
    if name == "GtkBackend":
        from ._backend import GtkBackend

        return GtkBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
