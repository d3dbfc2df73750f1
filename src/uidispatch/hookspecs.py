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
from types import ModuleType
from typing import Protocol

import pluggy

from ._core._protocol import MainThreadDispatcher

__all__ = [
    "PROJECT_NAME",
    "BackendSpec",
    "Detection",
    "LoopRunner",
    "ThreadCheckReporter",
    "ThreadCheckSpec",
    "hookimpl",
    "hookspec",
    "uidispatch_backends",
    "uidispatch_doctor_lines",
    "uidispatch_thread_checks",
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


class ThreadCheckReporter(Protocol):
    """What the core hands each :class:`ThreadCheckSpec` at ``install``: one per part.

    The core owns everything a report needs beyond "this operation, on this thread": the
    caller's own frame (skipping uidispatch, its plugins, the toolkit and the part's hook
    modules), de-duplication, warnings, raising, and the recorded ``Violation``.
    """

    @property
    def watching_calls(self) -> bool:
        """True when the core itself watches calls through the spec's ``classify``.

        On every thread with ``sys.monitoring`` (Python 3.12+), on new threads with the
        opt-in profile hook. A part may then leave out hooks that would only report the
        same calls.
        """

    def is_ui_thread(self) -> bool:
        """Whether the calling thread is the UI thread (by default: the main thread)."""

    def report(self, operation: str) -> None:
        """Report ``operation`` (``"Label.configure"``) as made on the wrong thread.

        Call it on the offending thread, just before the operation, and let what it
        raises propagate: in ``"raise"`` mode (or with warnings as errors) the operation
        must not happen. It returns quietly when the call came through one of the spec's
        ``trusted_modules`` or from a finalizer, and when no check is active any more.
        """

    def on_import(self, module: str, fn: Callable[[ModuleType], object]) -> None:
        """Call ``fn(module_object)`` once ``module`` is imported: now if it already is.

        Parts never import their toolkit (a Qt part must not pick a binding the app did
        not choose); they hook it when the app imports it. Hooks registered here are
        dropped when the check stops.
        """


@dataclass(frozen=True)
class ThreadCheckSpec:
    """One toolkit's part of the wrong-thread checker (``ud.check_threads``).

    The core installs every part when the first check starts and uninstalls them when the
    last one stops, on the thread that starts or stops it. A part reports a toolkit call
    made off the UI thread in either or both of two ways:

    - ``classify``: the core calls it for calls it watches (``sys.monitoring`` CALL events
      on 3.12+; the opt-in ``threading.setprofile`` hook before); it answers with the
      operation's name, or ``None`` for anything that is not this toolkit's. The core
      stops watching call sites that answered ``None`` (``sys.monitoring.DISABLE``), so
      it must answer from the callable alone, fast, and must not raise;
    - ``install``: hooks of its own (a proxy, a patched method, the toolkit's message
      handler) that call ``reporter.report(operation)`` on the offending thread.
    """

    toolkit: str
    """The toolkit's name as reports show it (``"tk"``, ``"qt"``)."""
    install: Callable[[ThreadCheckReporter], None]
    """Install the part's own hooks; called once per activation. Must not import the
    toolkit: use ``reporter.on_import``."""
    uninstall: Callable[[], None]
    """Undo ``install`` exactly; the toolkit keeps running (may be called at exit)."""
    classify: Callable[[object, object], str | None] | None = None
    """``classify(callable, arg0)``: the operation a call of ``callable`` is (``arg0`` is
    its first argument, the instance for a method called through its class, or
    a sentinel when there is none), or ``None``. Called on any thread."""
    modules: Sequence[str] = ()
    """The toolkit's top-level modules (``("tkinter", "_tkinter")``): their frames are
    never the user's, and the outermost of them names the operation (``Label.configure``)."""
    hook_modules: Sequence[str] = ()
    """Modules holding the part's hooks, whose frames are skipped (the module defining
    ``install`` is always included)."""
    trusted_modules: Sequence[str] = ()
    """The backend's own modules that call the toolkit off the UI thread by design (Tk's
    set-up from a worker): a call made through them is never reported. The rest of
    uidispatch is not trusted: ``pool.submit(label.configure, ...)`` is still reported."""
    limits: str = ""
    """One line on what this part cannot check (for the docs and the reader of a report)."""


@hookspec
def uidispatch_thread_checks() -> Sequence[ThreadCheckSpec]:  # type: ignore[empty-body]
    """Return this plugin's parts of the wrong-thread checker (:class:`ThreadCheckSpec`).

    Called each time a check starts with none active (``ud.check_threads``,
    ``UIDISPATCH_CHECK_THREADS``, ``pytest --ud-check-threads``). Must be cheap and must
    not import the toolkit. A hook that raises is reported as a ``PluginLoadWarning``
    and the other parts still install.
    """
