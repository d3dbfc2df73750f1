"""uidispatch-kivy: the ``kivy`` backend for uidispatch, on Kivy's ``Clock``.

Registered under the ``uidispatch`` entry-point group. Importing this module never
imports Kivy (the registry loads it at startup): ``detect`` only looks at modules that
are already imported, and the backend is built, and Kivy imported, on first use of
``uidispatch.get_dispatcher("kivy")``.

Detection: Kivy's event loop running (``App.run()``) scores ``RUNNING``; an ``App``
object or a Kivy window that exists scores ``APP``; ``kivy.clock`` imported scores
``IMPORTED``; Kivy importable scores ``INSTALLED``. A dispatcher is bound to the running
``App``, or to ``kivy.clock.Clock`` when there is none.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING, Any

from uidispatch.hookspecs import BackendSpec, Detection, ThreadCheckSpec, hookimpl

from ._runloop import run_loop as _run_loop

if TYPE_CHECKING:
    from ._backend import KivyBackend

__all__ = [
    "KivyBackend",
    "create",
    "current_app",
    "detect",
    "uidispatch_backends",
    "uidispatch_thread_checks",
]

__version__ = "0.1.0"


def detect() -> int:
    """Score how active Kivy is here (a ``Detection`` value). Any thread; never raises.

    Never imports Kivy: it reads ``sys.modules`` and asks ``importlib.util.find_spec``.
    """
    try:
        modules = sys.modules
        base = modules.get("kivy.base")
        loop = getattr(base, "EventLoop", None) if base is not None else None
        if loop is not None and loop.status == "started":
            return Detection.RUNNING
        app_mod = modules.get("kivy.app")
        if app_mod is not None and app_mod.App.get_running_app() is not None:
            return Detection.APP
        if loop is not None and loop.window is not None:
            return Detection.APP
        clock_mod = modules.get("kivy.clock")
        if clock_mod is not None and getattr(clock_mod, "Clock", None) is not None:
            return Detection.IMPORTED
        if importlib.util.find_spec("kivy") is not None:
            return Detection.INSTALLED
    except Exception:  # detection must never break the registry
        return Detection.NONE
    return Detection.NONE


def current_app() -> object | None:
    """The object a dispatcher binds to: the running ``App``, else ``kivy.clock.Clock``.

    Imports ``kivy.clock`` when needed (only when the kivy backend is being used);
    returns ``None`` when Kivy cannot be imported.
    """
    app_mod = sys.modules.get("kivy.app")
    if app_mod is not None:
        app = app_mod.App.get_running_app()
        if app is not None:
            return app  # type: ignore[no-any-return]
    try:
        from kivy.clock import Clock  # type: ignore[import-untyped]
    except ImportError:
        return None
    return Clock  # type: ignore[no-any-return]


def create(app: object | None) -> KivyBackend:
    """Build a :class:`KivyBackend` for ``app`` (an ``App``, the ``Clock`` or ``None``).

    Call it on the Kivy thread: that thread becomes the backend's main thread.

    Raises:
        ImportError: Kivy is not installed (``pip install kivy``).
        TypeError: ``app`` is neither a Kivy ``App`` nor the Kivy ``Clock``.

    """
    try:
        import kivy.clock  # type: ignore[import-untyped]  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"the kivy backend needs Kivy, which failed to import ({exc}); pip install kivy"
        ) from exc
    from ._backend import KivyBackend

    return KivyBackend(app)


@hookimpl
def uidispatch_backends() -> list[BackendSpec]:
    """The ``kivy`` backend."""
    return [
        BackendSpec(
            name="kivy",
            create=create,
            detect=detect,
            current_app=current_app,
            requires=("kivy",),
            distribution="uidispatch-kivy",
            run_loop=_run_loop,
            description="Kivy's Clock: one trigger per batch, one budgeted drain per frame",
        )
    ]


@hookimpl
def uidispatch_thread_checks() -> list[ThreadCheckSpec]:
    """The Kivy part of ``ud.check_threads`` (imports no Kivy until the app does)."""
    from ._threadcheck import SPEC

    return [SPEC]


def __getattr__(name: str) -> Any:
    # KivyBackend is importable from the package without importing Kivy at plugin load.
    if name == "KivyBackend":
        from ._backend import KivyBackend

        return KivyBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
