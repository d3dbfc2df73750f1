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

Detection (no frame inspection): the running app seen from here scores ``RUNNING``;
Textual imported scores ``IMPORTED``; importable ``INSTALLED``. The running app is found
in Textual's own context variables: ``active_app``, which Textual sets for the app's
tasks (handlers, async workers), else ``active_worker``, which a thread worker
(``@work(thread=True)``) sees instead (it runs in an executor thread, without the app's
context): the worker's node leads to its app. Else it is the app last seen running on its
own thread, or bound by a backend, if it still runs: so a plain thread the app started
finds it once the app asked for its dispatcher or ran detection. A dispatcher binds to
that running app; when the app's run ends, the dispatcher closes and the next lookup
binds a fresh one.
"""

from __future__ import annotations

import sys
import threading
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

# Apps seen running (found in their own context, or bound by a backend), oldest first.
_seen: list[weakref.ref[Any]] = []
_seen_lock = threading.Lock()


def _running(app: Any) -> bool:
    return app is not None and bool(app.is_running) and not app._exit


def _remember(app: Any) -> None:
    with _seen_lock:
        if _seen and _seen[-1]() is app:
            return
        _seen[:] = [r for r in _seen if r() is not None and r() is not app]
        _seen.append(weakref.ref(app))


def _worker_app() -> Any:
    """The app of the Textual worker running here (a thread worker too), else None."""
    worker_module = sys.modules.get("textual.worker")
    if worker_module is None:
        return None
    worker = worker_module.active_worker.get(None)
    if worker is None:
        return None
    try:
        return worker.node.app  # a thread has no active_app: the node's parents lead to it
    except Exception:  # the node left the DOM (NoActiveAppError): look further
        return None


def current_app() -> object | None:
    """The running Textual app seen from here, else ``None``. Any thread; never imports.

    The ``active_app`` of this context (the app's own tasks), else the app of the Textual
    worker running here (thread workers included), else the app most recently seen
    running or bound that still runs.
    """
    context = sys.modules.get("textual._context")
    if context is None:
        return None
    try:
        app = context.active_app.get(None)
        if _running(app):
            _remember(app)
            return app  # type: ignore[no-any-return]
        app = _worker_app()
        if _running(app):
            _remember(app)
            return app  # type: ignore[no-any-return]
        with _seen_lock:
            seen = [r() for r in reversed(_seen)]
        for app in seen:
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
    _remember(app)
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
