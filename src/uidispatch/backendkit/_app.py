"""Liveness, detection and app-end helpers for backends.

``AttachedTracker``, ``RunningFlag``, ``detect_toolkit`` and ``AppClosedCallbacks``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import sys
import threading
import weakref
from collections.abc import Callable, Iterator

from ..hookspecs import Detection

__all__ = [
    "AppClosedCallbacks",
    "AttachedTracker",
    "CloseRequests",
    "RunningFlag",
    "detect_toolkit",
]


class AttachedTracker:
    """``is_alive`` for widgets that are dead only once they left the tree they were seen in.

    Some toolkits (Kivy, Textual) cannot tell a widget that is not attached *yet* from
    one that was removed: both have no parent. A widget a worker's callback builds
    before showing it must stay alive, so the rule is: alive while ``attached(obj)``
    is true, and also before it was ever seen attached; dead once it is no longer
    attached after this tracker saw it attached. Objects are remembered weakly.
    Main thread only.
    """

    def __init__(self, attached: Callable[[object], bool]) -> None:
        self._attached = attached
        self._seen: weakref.WeakSet[object] = weakref.WeakSet()

    def is_alive(self, obj: object) -> bool:
        """True while attached, or never seen attached; False once it left its tree."""
        if self._attached(obj):
            with contextlib.suppress(TypeError):  # not weakly referenceable: not tracked
                self._seen.add(obj)
            return True
        try:
            return obj not in self._seen
        except TypeError:
            return True


class RunningFlag:
    """The flag "the app's loop is running", set by the backend's own loop hook. Any thread.

    Detection without frame tricks: the backend's loop entry point (``run_app()``, an
    app ``on_mount``) runs inside ``with flag.running():``; ``detect()`` reads
    ``flag.is_set()``. Nested loops (a modal dialog's) count: the flag clears when the
    outermost one returns.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._lock = threading.Lock()

    def is_set(self) -> bool:
        """True while at least one loop runs inside :meth:`running`."""
        return self._depth > 0

    def enter(self) -> None:
        """Mark a loop as started (pair it with :meth:`exit`)."""
        with self._lock:
            self._depth += 1

    def exit(self) -> None:
        """Mark a loop as finished; never below zero."""
        with self._lock:
            self._depth = max(0, self._depth - 1)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """``with flag.running(): app.run()``: set for the duration, even on error."""
        self.enter()
        try:
            yield
        finally:
            self.exit()


def detect_toolkit(
    module: str,
    *,
    running: Callable[[], object] | None = None,
    app: Callable[[], object] | None = None,
) -> Detection:
    """Score a toolkit for ``BackendSpec.detect`` without ever importing it.

    ``NONE`` when ``module`` cannot be found; ``INSTALLED`` when it is importable but not
    imported; otherwise ``RUNNING`` if ``running()`` is true, ``APP`` if ``app()`` is
    true, else ``IMPORTED``. The two callables run only once the toolkit is imported
    (so they may use it); an exception in either, or in the lookup, scores ``NONE``:
    detection must never break the registry. Any thread.
    """
    try:
        if module not in sys.modules:
            return Detection.INSTALLED if importlib.util.find_spec(module) else Detection.NONE
        if running is not None and running():
            return Detection.RUNNING
        if app is not None and app():
            return Detection.APP
    except Exception:
        return Detection.NONE
    return Detection.IMPORTED


class AppClosedCallbacks:
    """The ``on_app_closed`` bookkeeping: register from any thread, notify once.

    The backend's ``on_app_closed(fn)`` calls :meth:`add`; whatever notices the app is
    gone (a window's destroy signal, a loop's exit) calls :meth:`notify`, from any
    thread. Each callback runs once; one registered after the notification runs at once.
    """

    def __init__(self) -> None:
        self._fns: list[Callable[[], object]] = []
        self._lock = threading.Lock()
        self._notified = False

    @property
    def notified(self) -> bool:
        """True once :meth:`notify` ran."""
        return self._notified

    def add(self, fn: Callable[[], object]) -> None:
        """Register ``fn``; after :meth:`notify`, call it now. Any thread."""
        with self._lock:
            if not self._notified:
                self._fns.append(fn)
                return
        fn()

    def notify(self) -> None:
        """Call every registered callback once (later calls do nothing). Any thread."""
        with self._lock:
            if self._notified:
                return
            self._notified = True
            fns, self._fns = self._fns, []
        for fn in fns:
            fn()


class CloseRequests:
    """The ``on_close_requested`` bookkeeping of the optional ``AppWindow`` capability.

    The backend's ``on_close_requested(fn)`` calls :meth:`set`; its toolkit's close
    request (``WM_DELETE_WINDOW``, a close event) calls :meth:`ask` and closes the window
    only when it returns True. Main thread only.
    """

    def __init__(self) -> None:
        self.fn: Callable[[], object] | None = None

    def set(self, fn: Callable[[], object] | None) -> None:
        """Route requests to ``fn`` (``None``: the toolkit's own behaviour).

        Raises:
            TypeError: ``fn`` is neither callable nor None.

        """
        if fn is not None and not callable(fn):
            raise TypeError(f"fn must be callable or None, got {fn!r}")
        self.fn = fn

    def ask(self) -> bool:
        """Whether the window may close: ``fn()`` did not return False (True without fn).

        An exception in ``fn`` is logged to the ``uidispatch`` logger and the close goes
        ahead: a broken handler must not leave a window that cannot be closed.
        """
        fn = self.fn
        if fn is None:
            return True
        try:
            return fn() is not False
        except Exception:
            logging.getLogger("uidispatch").exception("close request handler %r raised", fn)
            return True
