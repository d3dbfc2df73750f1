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

from ._protocol import MainThreadDispatcher

__all__ = [
    "PROJECT_NAME",
    "BackendSpec",
    "Detection",
    "hookimpl",
    "hookspec",
    "uidispatch_backends",
]

PROJECT_NAME = "uidispatch"
"""The pluggy project name, also the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Decorator marking a plugin function as an implementation of a uidispatch hook."""


class Detection(enum.IntEnum):
    """How active a backend's toolkit is here; auto-detection picks the highest score.

    Ties go to the backend whose name sorts first. ``INSTALLED`` and ``NONE`` are shown
    by ``doctor`` but never picked automatically.
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


@dataclass(frozen=True)
class BackendSpec:
    """Describes one backend to the core: its name, needs, detection and factory."""

    name: str
    """Registry name used by ``get_dispatcher(name)`` and ``UIDISPATCH_BACKEND``."""
    create: Callable[[object | None], MainThreadDispatcher]
    """Build a backend bound to the given app object (``None``: the current/default one)."""
    detect: Callable[[], int] = lambda: Detection.NONE
    """Score how active the toolkit is (a :class:`Detection` value). Must not raise or
    import the toolkit when it is not imported already."""
    current_app: Callable[[], object | None] = lambda: None
    """The toolkit's current app object (Tk default root, ``QCoreApplication``, running
    loop), or ``None``. A cached dispatcher bound to another app is replaced."""
    requires: Sequence[str] = ()
    """Top-level modules the backend needs (shown by ``doctor``)."""
    distribution: str | None = None
    """The distribution providing the backend, for version reporting."""
    description: str = ""
    """One line for ``doctor`` and ``backends()``."""


@hookspec
def uidispatch_backends() -> Sequence[BackendSpec]:  # type: ignore[empty-body]
    """Return the backends this plugin provides.

    Called once per plugin when the registry loads. Must be cheap and must not import
    the toolkit: import it lazily inside ``create`` and ``detect``.
    """
