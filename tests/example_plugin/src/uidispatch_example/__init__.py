"""uidispatch-example: a third-party uidispatch backend for the toy event loop.

The registry imports this module at startup (entry point ``example`` in the
``uidispatch`` group), so it imports nothing heavy: the toolkit (``toyloop``) and the
backend are imported inside ``create``, the first time someone asks for the backend.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uidispatch.hookspecs import BackendSpec, Detection, hookimpl

if TYPE_CHECKING:
    from ._backend import ExampleBackend

__all__ = ["uidispatch_backends"]


def _toyloop() -> object | None:
    # Only look at what is imported already: detection must never import the toolkit.
    return sys.modules.get("uidispatch_example.toyloop")


def _current_app() -> object | None:
    """The toolkit's current app object: the open toy loop, if any."""
    toyloop = _toyloop()
    return None if toyloop is None else toyloop.ToyLoop.current()  # type: ignore[attr-defined]


def _detect() -> int:
    """Score the toolkit: a running loop, then an open one.

    A real toolkit would also answer ``Detection.IMPORTED`` once it is imported; this
    example is installed in uidispatch's own test environment, so it claims nothing
    unless one of its loops is open, and never takes over other tests' auto-detection.
    """
    loop = _current_app()
    if loop is None:
        return Detection.NONE
    return Detection.RUNNING if loop.running else Detection.APP  # type: ignore[attr-defined]


def _create(app: object | None) -> ExampleBackend:
    """Build the backend for ``app`` (a ``ToyLoop``), or for the current loop."""
    from ._backend import ExampleBackend
    from .toyloop import ToyLoop

    if app is None:
        app = ToyLoop.current()
        if app is None:
            raise RuntimeError("no ToyLoop exists: create the loop first, then the dispatcher")
    if not isinstance(app, ToyLoop):
        raise TypeError(f"app must be a ToyLoop for the example backend, got {app!r}")
    return ExampleBackend(app)


def _run_loop(backend: Any, until: Callable[[], object], timeout: float) -> None:
    """Run ``loop.run()`` (what an app of the toy toolkit runs) until ``until()`` holds."""
    loop = backend.loop
    deadline = time.monotonic() + timeout

    def check() -> None:
        if until() or time.monotonic() >= deadline:
            loop.stop()
        else:
            loop.after(0.005, check)

    loop.after(0, check)
    loop.run()


@hookimpl
def uidispatch_backends() -> list[BackendSpec]:
    """The ``example`` backend."""
    return [
        BackendSpec(
            name="example",
            create=_create,
            detect=_detect,
            current_app=_current_app,
            requires=("uidispatch_example",),
            distribution="uidispatch-example",
            description="the toy event loop of the backend author's guide",
            run_loop=_run_loop,
        )
    ]
