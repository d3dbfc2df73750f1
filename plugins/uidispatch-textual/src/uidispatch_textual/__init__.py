"""uidispatch-textual: the ``textual`` backend for uidispatch, on a running Textual app.

Registered under the ``uidispatch`` entry-point group. Importing this module never
imports Textual: ``detect`` reads ``sys.modules``, and Textual is imported when a
backend is created.

Use it from the app and its workers::

    class MyApp(App):
        def on_mount(self) -> None:
            self.dispatcher = uidispatch.get_dispatcher()      # picks "textual"
            ...

        @work(thread=True)
        def crunch(self) -> None:                              # a worker thread
            for i in range(1000):
                self.dispatcher.call_soon(self.bar.update, i, key="bar")  # never blocks

Detection (no frame inspection): Textual's own registry of the active app (the
``active_app`` context variable Textual sets for the app's tasks and its workers) or an
app a backend was built for, while it runs, scores ``RUNNING``; Textual imported scores
``IMPORTED``; importable ``INSTALLED``. A dispatcher binds to that running app; when the
app's run ends, the dispatcher closes and the next lookup binds a fresh one.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from uidispatch.backendkit import detect_toolkit, run_asyncio_loop
from uidispatch.hookspecs import BackendSpec, hookimpl

if TYPE_CHECKING:
    from ._backend import TextualBackend

__all__ = [
    "TextualBackend",
    "create",
    "current_app",
    "detect",
    "run_loop",
    "uidispatch_backends",
    "uidispatch_doctor_lines",
]

__version__ = "0.1.0"

_bound_apps: weakref.WeakSet[Any] = weakref.WeakSet()


def _running(app: Any) -> bool:
    return app is not None and bool(app.is_running) and not app._exit


def current_app() -> object | None:
    """The running Textual app seen from here, else ``None``. Any thread; never imports.

    The ``active_app`` of this context (the app's own tasks and its workers), else the
    most recently bound app that still runs.
    """
    context = sys.modules.get("textual._context")
    if context is None:
        return None
    try:
        app = context.active_app.get(None)
        if _running(app):
            return app  # type: ignore[no-any-return]
        for app in list(_bound_apps):
            if _running(app):
                return app  # type: ignore[no-any-return]
    except Exception:  # detection must never break the registry
        return None
    return None


def detect() -> int:
    """Score Textual: RUNNING with a running app, IMPORTED, INSTALLED. Any thread."""
    return detect_toolkit("textual", running=lambda: current_app() is not None)


def create(app: object | None = None) -> TextualBackend:
    """Build a :class:`TextualBackend` for ``app`` (default: the running app).

    Any thread of the running app (its thread becomes the backend's main thread).

    Raises:
        ImportError: Textual is not installed (``pip install textual``).
        TypeError: ``app`` is not a ``textual.app.App``.
        RuntimeError: no app runs (``app`` None), or ``app`` is not running.

    """
    try:
        import textual.app  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"the textual backend needs Textual ({exc}); pip install textual"
        ) from exc
    from ._backend import TextualBackend

    if app is None:
        app = current_app()
        if app is None:
            raise RuntimeError(
                "the textual backend found no running Textual app: ask for the dispatcher from "
                "the app (on_mount) or a worker, or pass it: get_dispatcher('textual', app=app)"
            )
    backend = TextualBackend(app)
    _bound_apps.add(app)
    return backend


def run_loop(backend: Any, until: Callable[[], object], timeout: float) -> None:
    """Run the app's asyncio loop, with the Textual app's tasks on it, until ``until()``.

    For a test that holds a running app between turns (``App.run_test()`` entered on a
    loop it drives); returns once ``until()`` holds or ``timeout`` passed.
    """
    run_asyncio_loop(backend.loop, until, timeout)


@hookimpl
def uidispatch_backends() -> list[BackendSpec]:
    """The ``textual`` backend."""
    return [
        BackendSpec(
            name="textual",
            create=create,
            detect=detect,
            current_app=current_app,
            requires=("textual",),
            distribution="uidispatch-textual",
            description="Textual: one call_soon_threadsafe per batch on the app's loop",
            run_loop=run_loop,
        )
    ]


@hookimpl
def uidispatch_doctor_lines() -> Sequence[str]:
    """The Textual version (read from its metadata, without importing it)."""
    import importlib.metadata

    try:
        return [f"textual: Textual {importlib.metadata.version('textual')}"]
    except importlib.metadata.PackageNotFoundError:
        return ["textual: not installed (pip install textual)"]


def __getattr__(name: str) -> Any:
    # TextualBackend is importable from here without importing Textual at plugin load.
    if name == "TextualBackend":
        from ._backend import TextualBackend

        return TextualBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
