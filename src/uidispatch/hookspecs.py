"""Hook specifications for backend plugins, and the ``hookimpl`` marker for their authors.

A backend plugin is a module registered under the ``uidispatch`` entry-point group::

    [project.entry-points.uidispatch]
    tk = "uidispatch_tk"

that implements :func:`uidispatch_backends`, returning one :class:`BackendSpec` per
backend it provides::

    from uidispatch.hookspecs import BackendSpec, Detection, hookimpl

    @hookimpl
    def uidispatch_backends() -> list[BackendSpec]:
        return [BackendSpec(name="tk", requires=("tkinter",), detect=_detect,
                            create=_create, current_app=_current_app)]

Built-in backends are registered through the same hook.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pluggy

from ._core._protocol import MainThreadDispatcher

__all__ = [
    "PROJECT_NAME",
    "BackendSpec",
    "Detection",
    "LoopRunner",
    "hookimpl",
    "hookspec",
    "uidispatch_backends",
    "uidispatch_doctor_lines",
]

PROJECT_NAME = "uidispatch"
"""The pluggy project name, also the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Decorator marking a plugin function as an implementation of a uidispatch hook."""


class Detection(enum.IntEnum):
    """How active a backend's toolkit is here; auto-detection picks the highest score.

    A tie (two backends for one toolkit) goes to the one the process last chose with
    ``get_dispatcher(name)``, else to the name that sorts first; ``doctor`` warns about it
    and ``use(name)`` decides outright. ``INSTALLED`` and ``NONE`` are shown by ``doctor``
    but never picked automatically.
    """

    NONE = 0
    """The toolkit cannot be imported, or the backend is never auto-selected."""
    INSTALLED = 1
    """The toolkit is importable but not imported."""
    LOOP = 2
    """A generic event loop runs (the ``asyncio`` backend): below any toolkit."""
    IMPORTED = 3
    """The toolkit module is imported in this process."""
    APP = 4
    """The toolkit's app or root object exists."""
    RUNNING = 5
    """The toolkit's main loop is running."""


LoopRunner = Callable[[MainThreadDispatcher, Callable[[], object], float], None]
"""``run_loop(backend, until, timeout)``: run the toolkit's own main loop as an app does.

Called on the backend's main thread with a backend the spec's ``create`` built. It
enters the loop an app enters (``root.mainloop()``, ``app.exec()``, ``App.run()``, the
app's frame loop, ``loop.run_until_complete``), checks ``until()`` from that loop every
few milliseconds or every frame (a toolkit timer of its own, never the backend's
``post``), and leaves the loop and returns once ``until()`` is true or ``timeout``
seconds passed. The conformance suite runs its checks through it, so a backend whose
posts run only from ``process_events()`` fails there.
"""


@dataclass(frozen=True)
class BackendSpec:
    """Describes one backend to the core: its name, needs, detection and factory."""

    name: str
    """Registry name used by ``get_dispatcher(name)`` and ``UIDISPATCH_BACKEND``."""
    create: Callable[[object | None], MainThreadDispatcher]
    """Build a backend bound to the given app object (``None``: the current/default one)."""
    detect: Callable[[], int] = lambda: Detection.NONE
    """Score how active the toolkit is (a :class:`Detection` value). Any thread. Must not
    raise, and must never import the toolkit: look at ``sys.modules`` and
    ``importlib.util.find_spec`` (``uidispatch.backendkit.detect_toolkit`` does both)."""
    current_app: Callable[[], object | None] = lambda: None
    """The toolkit's current app object (Tk default root, ``QCoreApplication``, running
    loop), or ``None``. A cached dispatcher bound to another app is replaced."""
    requires: Sequence[str] = ()
    """Top-level modules the backend needs (shown by ``doctor``)."""
    distribution: str | None = None
    """The distribution providing the backend, for version reporting."""
    description: str = ""
    """One line for ``doctor`` and ``backends()``."""
    run_loop: LoopRunner | None = None
    """How an app runs this toolkit's loop (see :data:`LoopRunner`); the conformance
    suite drives its checks through it. ``None``: the suite's real-loop check fails,
    naming this field."""
    bench_module: str | None = None
    """The module ``python -m uidispatch bench --backend NAME`` runs, as
    ``python -m MODULE --json [--quick]`` (default ``uidispatch_NAME.bench``). It prints
    one JSON object whose rows include the toolkit's naive primitive with
    ``"kind": "naive"``; ratios are taken against it (see the backend guide)."""


@hookspec
def uidispatch_backends() -> Sequence[BackendSpec]:  # type: ignore[empty-body]
    """Return the backends this plugin provides.

    Called once per plugin when the registry loads. Must be cheap and must not import
    the toolkit: import it lazily inside ``create`` (and ``current_app`` / ``run_loop``
    when they need it). ``detect`` never imports it (see :attr:`BackendSpec.detect`).
    """


@hookspec
def uidispatch_doctor_lines() -> Sequence[str]:  # type: ignore[empty-body]
    """Return lines ``python -m uidispatch doctor`` prints for this plugin.

    Short facts about the toolkit as installed here, each prefixed with the backend's
    name: ``"qt: binding PyQt6 6.12.0 (QT_API=pyqt6)"``, ``"pygame: SDL_VIDEODRIVER=dummy"``.
    Called on the main thread each time ``doctor`` runs; may import the toolkit (doctor
    is a diagnostic, not an app). An exception is reported as a line, never raised.
    """
