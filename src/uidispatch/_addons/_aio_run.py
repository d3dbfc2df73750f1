"""The run object of ``uidispatch.aio``: one ``main`` coroutine running on the UI thread.

:class:`Run` holds what both guest libraries share: the outcome, the ``on_done``
callbacks, cancellation from any thread, the registry of active runs that
``@aio.handler`` starts its coroutines in, and what happens when the dispatcher closes
under a running run (the app's root window destroyed): the run is cancelled and its
remaining steps run here, on the UI thread, so it still ends cleanly (no abandoned guest
run, no loop left open). ``_aio_asyncio`` and ``_aio_trio`` supply the library part.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._core._errors import DispatcherClosed, TaskCancelled
from .._core._options import check_callback

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher
    from ._aio_host import Host

__all__ = ["CLOSE_TIMEOUT", "Run", "active_runs"]

logger = logging.getLogger("uidispatch")

CLOSE_TIMEOUT = 10.0
"""Seconds a run may take to finish once its app went away (its steps run here then)."""

_active: list[Run] = []
_active_lock = threading.Lock()


def active_runs() -> list[Run]:
    """The runs started and not finished yet, oldest first. Any thread."""
    with _active_lock:
        return list(_active)


class Run:
    """One ``main`` coroutine running on the UI thread, as returned by ``aio.start``.

    ``done``, ``cancelled`` and ``result()`` read the outcome; ``cancel()`` works from
    any thread; ``on_done(cb)`` calls ``cb(run)`` on the main thread once it ended. A run
    is done once ``main`` finished and its loop was closed (other tasks cancelled, async
    generators finalised).
    """

    lib: str
    """``"asyncio"`` or ``"trio"``."""

    def __init__(self, dispatcher: Dispatcher, host: Host, lib: str) -> None:
        self.lib = lib
        self._d = dispatcher
        self._host = host
        self._lock = threading.Lock()
        self._done = False
        self._cancelled = False
        self._value: Any = None
        self._exc: BaseException | None = None
        # (callback, what to do once the app is gone: "drop" it or "run" it here)
        self._callbacks: list[tuple[Callable[[Run], object], str]] = []
        self._cancel_requested = False
        self._ending = False  # main finished: the run winds down and takes no new task
        self.interrupted = False
        """True once Ctrl-C cancelled the run (``run_app`` then raises KeyboardInterrupt)."""
        self.driven = False
        """True while ``run_app`` drives the run: it finishes the run when the app ends."""
        self._pumping = False
        host.after_step = self._after_step
        ref = weakref.ref(self)

        def dispatcher_closed(_: object) -> None:
            run = ref()
            if run is not None:
                run._app_gone()

        self._close_listener = dispatcher_closed
        dispatcher._on_close.append(dispatcher_closed)
        if dispatcher.closed:  # closed before we listened: never wait for it
            self._app_gone()
        with _active_lock:
            _active.append(self)

    # ------------------------------------------------------------------ outcome

    @property
    def done(self) -> bool:
        """True once ``main`` finished and the run's loop was closed. Any thread."""
        return self._done

    @property
    def cancelled(self) -> bool:
        """True when ``main`` ended by cancellation (``cancel()``, a close request, Ctrl-C)."""
        return self._cancelled

    @property
    def accepting(self) -> bool:
        """True while ``main`` runs: a handler's coroutine may join the run."""
        return not self._done and not self._ending

    @property
    def dispatcher(self) -> Dispatcher:
        """The dispatcher whose UI thread runs this run."""
        return self._d

    def result(self) -> Any:
        """``main``'s return value, or raise its exception. Any thread; never waits.

        Raises:
            RuntimeError: the run has not finished (use ``on_done``).
            TaskCancelled: ``main`` was cancelled.
            BaseException: whatever ``main`` raised, ``KeyboardInterrupt`` included.

        """
        if not self._done:
            raise RuntimeError(
                f"{self!r} has not finished: call result() from run.on_done(cb), or use "
                "aio.run_app(), which returns main's value"
            )
        if self._cancelled:
            raise TaskCancelled(f"{self!r}: main was cancelled")
        if self._exc is not None:
            raise self._exc
        return self._value

    def exception(self) -> BaseException | None:
        """``main``'s exception, or ``None`` (it returned, or was cancelled). Any thread.

        Raises:
            RuntimeError: the run has not finished.

        """
        if not self._done:
            raise RuntimeError(f"{self!r} has not finished: call exception() from on_done(cb)")
        return self._exc

    def cancel(self) -> None:
        """Cancel ``main`` (its ``finally`` blocks run, then the run ends). Any thread.

        Idempotent; nothing happens once the run is done.
        """
        if self._done:
            return
        self._cancel_requested = True
        self._request_cancel()

    def interrupt(self) -> None:
        """Ctrl-C: cancel ``main`` and remember why (``run_app`` raises KeyboardInterrupt)."""
        self.interrupted = True
        self.cancel()

    def on_done(self, callback: Callable[[Run], object]) -> None:
        """Call ``callback(run)`` on the main thread once the run is done. Any thread.

        After the end it is posted at once. Its exception goes to the dispatcher's error
        handler. When the app is gone by then (its dispatcher closed: the window closed
        and so the run was cancelled), it is dropped and counted in the dispatcher's
        ``stats().dropped``, as a task's callbacks are: it would touch widgets that are
        gone.

        Raises:
            TypeError: ``callback`` is not a plain callable.

        """
        check_callback("callback", callback, "give a plain function; it gets the run")
        self._add(callback, app_gone="drop")

    def _on_finished(self, callback: Callable[[Run], object]) -> None:
        """The library's own ``on_done``: runs on the UI thread even once the app is gone."""
        self._add(callback, app_gone="run")

    def _add(self, callback: Callable[[Run], object], app_gone: str) -> None:
        with self._lock:
            if not self._done:
                self._callbacks.append((callback, app_gone))
                return
        self._deliver([(callback, app_gone)])

    def __repr__(self) -> str:
        state = "done" if self._done else "running"
        if self._cancelled:
            state = "cancelled"
        return f"<uidispatch.aio.Run lib={self.lib!r} {state}>"

    # ------------------------------------------------------------------ library part

    def _request_cancel(self) -> None:
        raise NotImplementedError

    def spawn(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """Start ``fn(*args)`` as a task of this run; its exception goes to the error handler."""
        raise NotImplementedError

    # ------------------------------------------------------------------ ending

    def _finish(self, value: Any, exc: BaseException | None, cancelled: bool) -> None:
        """Record the outcome and call the ``on_done`` callbacks. UI thread, once."""
        with self._lock:
            if self._done:
                return
            self._value, self._exc, self._cancelled = value, exc, cancelled
            self._done = True
            callbacks, self._callbacks = self._callbacks, []
        with _active_lock, contextlib.suppress(ValueError):
            _active.remove(self)
        with contextlib.suppress(ValueError):  # closed meanwhile: that list is gone anyway
            self._d._on_close.remove(self._close_listener)
        self._host.after_step = None
        self._deliver(callbacks)

    def _deliver(self, callbacks: list[tuple[Callable[[Run], object], str]]) -> None:
        for callback, app_gone in callbacks:
            if not self._host.closed:
                try:
                    self._d.call_soon(callback, self)
                    continue
                except DispatcherClosed:
                    pass
            if app_gone == "drop":
                q = self._d._q
                with q._lock:  # on_done may be added from any thread
                    q.dropped_locked += 1
                logger.debug("%r: its app is gone, on_done callback %r dropped", self, callback)
                continue
            # The library's own: no drain comes again, so they run here (the UI thread).
            try:
                callback(self)
            except Exception as exc:
                self._d.report_error(exc, callback)

    def _app_gone(self) -> None:
        """The dispatcher closed (the app went away): cancel, and finish here. Any thread."""
        self._host.close()
        self.cancel()
        self._after_step()

    def _after_step(self) -> None:
        """Once no step of ours is running: finish a run whose app is gone, here."""
        host = self._host
        if (
            self._done
            or not host.closed
            or self.driven
            or self._pumping
            or host.depth
            or not host.is_ui_thread()
        ):
            return
        self._pumping = True
        try:
            host.pump(lambda: self._done, CLOSE_TIMEOUT)
        finally:
            self._pumping = False

    def wait(self, timeout: float) -> bool:
        """Run the run's steps here until it is done or ``timeout`` passed. UI thread.

        Pumps the toolkit loop while the dispatcher is open, the run's own steps once it
        is closed. Returns ``done``.
        """
        host = self._host
        if not host.closed:
            with contextlib.suppress(DispatcherClosed):
                self._d.run_until(lambda: self._done or host.closed, timeout)
        if not self._done and host.closed:
            host.pump(lambda: self._done, timeout)
        return self._done
