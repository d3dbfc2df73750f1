"""uidispatch-tk: the ``tk`` backend of uidispatch (Tkinter).

Importing this module never imports tkinter: the registry loads it at startup. tkinter is
imported when a backend is created.

Usage::

    root = tkinter.Tk()
    d = uidispatch.get_dispatcher()          # picks "tk" once the root exists
    d.call_soon(label.configure, ...)        # from any thread
    root.mainloop()
"""

from __future__ import annotations

import importlib.util
import sys
from types import CodeType
from typing import TYPE_CHECKING, Any

from uidispatch import NoBackendDetected
from uidispatch.hookspecs import BackendSpec, Detection, ThreadCheckSpec, hookimpl

from ._runloop import run_loop as _run_loop

if TYPE_CHECKING:
    from ._backend import TkBackend

__all__ = [
    "TkBackend",
    "create",
    "current_app",
    "detect",
    "uidispatch_backends",
    "uidispatch_thread_checks",
]

__version__ = "0.1.0"


def current_app() -> object | None:
    """Tkinter's default root (the first ``Tk()`` still alive), or ``None``.

    Any thread; never imports tkinter and never raises.
    """
    tkinter = sys.modules.get("tkinter")
    return getattr(tkinter, "_default_root", None) if tkinter is not None else None


def _mainloop_codes(tkinter: Any) -> set[CodeType]:
    codes: set[CodeType] = set()
    for fn in (getattr(tkinter, "mainloop", None), getattr(tkinter.Misc, "mainloop", None)):
        code = getattr(fn, "__code__", None)
        if code is not None:
            codes.add(code)
    return codes


def _mainloop_running(tkinter: Any) -> bool:
    """Whether some thread is inside ``mainloop()``: a frame of it is on a thread's stack.

    tkinter exposes no "running" flag and a Tcl probe would have to run on the Tk thread
    (from another thread it waits for it), so the stacks are read instead: no Tcl call,
    safe from any thread, true from inside any callback the loop runs.
    """
    codes = _mainloop_codes(tkinter)
    frames = sys._current_frames()  # this thread's entry is this very frame
    f: Any = None
    try:
        for f in frames.values():
            while f is not None:
                if f.f_code in codes:
                    return True
                f = f.f_back
        return False
    finally:
        # A local naming this frame is a cycle pinning every caller's frame and what
        # they hold (a Tk root, freed later by whichever thread collects: an abort).
        del frames, f


def detect() -> int:
    """Score Tk: RUNNING in ``mainloop()``, APP with a default root, IMPORTED, INSTALLED.

    Any thread; never imports tkinter and never raises.
    """
    try:
        tkinter = sys.modules.get("tkinter")
        if tkinter is None:
            installed = importlib.util.find_spec("_tkinter") is not None
            return Detection.INSTALLED if installed else Detection.NONE
        if _mainloop_running(tkinter):
            return Detection.RUNNING
        if current_app() is not None:
            return Detection.APP
        return Detection.IMPORTED
    except Exception:
        return Detection.NONE


def create(app: object | None = None) -> TkBackend:
    """Build a :class:`TkBackend` for ``app`` (a root or any widget; default: the default root).

    Any thread (off the Tk thread, a running ``mainloop()`` sets it up). Imports tkinter.

    Raises:
        NoBackendDetected: ``app`` is None and no default root exists.
        TypeError: ``app`` is not a tkinter widget.
        ValueError: ``app``'s root was destroyed.
        RuntimeError: called off the Tk thread and the Tk thread did not answer.

    """
    from ._backend import TkBackend

    if app is None:
        app = current_app()
        if app is None:
            raise NoBackendDetected(
                "the tk backend found no Tk root: create tkinter.Tk() before asking for the "
                "dispatcher, or pass it: get_dispatcher('tk', app=root)"
            )
    return TkBackend(app)  # type: ignore[arg-type]  # validated by TkBackend


def __getattr__(name: str) -> Any:
    # TkBackend is importable from here without importing tkinter at plugin load.
    if name == "TkBackend":
        from ._backend import TkBackend

        return TkBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def uidispatch_backends() -> list[BackendSpec]:
    """The ``tk`` backend."""
    return [
        BackendSpec(
            name="tk",
            create=create,
            detect=detect,
            current_app=current_app,
            requires=("tkinter",),
            distribution="uidispatch-tk",
            run_loop=_run_loop,
            description="Tkinter: a self-pipe wake-up, Tcl timers, winfo_exists liveness",
        )
    ]


@hookimpl
def uidispatch_thread_checks() -> list[ThreadCheckSpec]:
    """The Tk part of ``ud.check_threads`` (imports no tkinter until the app does)."""
    from ._threadcheck import SPEC

    return [SPEC]
