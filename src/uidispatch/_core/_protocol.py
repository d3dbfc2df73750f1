"""The backend contract: what a toolkit must supply, and nothing more.

Policy (priorities, coalescing, budgets, owners, throttling, stats) lives in the core
once; a backend only wakes the main thread, runs timers, answers liveness and pumps
its loop. Keep it that small: an ``if`` in a backend is usually core policy in disguise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["AppWindow", "MainThreadDispatcher", "TimerHandle"]


@runtime_checkable
class TimerHandle(Protocol):
    """A pending toolkit timer returned by ``MainThreadDispatcher.call_later``."""

    def cancel(self) -> None:
        """Stop the timer if it has not fired; idempotent. Main thread only."""


@runtime_checkable
class MainThreadDispatcher(Protocol):
    """The primitives a toolkit backend supplies to a ``uidispatch.Dispatcher``.

    The core calls ``post`` once per batch of user calls (on the idle to scheduled
    transition, and again when a drain spends its budget), never once per call.
    """

    name: str
    """The backend's registered name, such as ``"tk"``."""

    def is_main_thread(self) -> bool:
        """True when called on the toolkit's main (UI) thread. Any thread; after close too.

        The UI thread is the one that runs the toolkit's loop, even when the backend was
        created on a worker (a first ``get_dispatcher()`` from a worker thread).
        """

    def post(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` once on the main thread, soon.

        Any thread, and it must never wait for the main thread (a worker must not
        block on a busy or joined UI loop). Called from the main thread while ``fn``
        itself runs, it must schedule a *later* turn of the loop, so the toolkit can
        paint and handle input between batches. After ``close()`` it may drop ``fn``.
        """

    def call_later(self, delay: float, fn: Callable[[], object]) -> TimerHandle:
        """Run ``fn()`` on the main thread after ``delay`` seconds (``>= 0``).

        Main thread only (the core marshals calls from workers). After ``close()``
        the timer may never fire.
        """

    def is_alive(self, obj: object) -> bool:
        """Whether ``obj`` (a widget, window or app object) can still be used.

        Main thread only. Objects the backend does not know are alive, and so is a
        widget not attached yet (built, not added to a window): it is dead once
        destroyed, or once it left a tree it was seen in (``backendkit.AttachedTracker``).
        """

    def process_events(self, timeout: float) -> None:
        """Pump the toolkit loop: wait up to ``timeout`` seconds for work, run what is ready.

        Main thread only; may return as soon as some work ran. Used by tests and by
        ``Dispatcher.run_until``.
        """

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Register ``fn`` to be called once when the toolkit's app goes away.

        A backend calls it when its root window is destroyed, its application quits or
        its loop closes, from whichever thread notices; the dispatcher then closes and
        releases every waiter. Backends with no such notion store ``fn`` and never call it.
        """

    def close(self) -> None:
        """Release the backend's resources (timers, file handlers); idempotent.

        Any thread (``Dispatcher.close()`` may run anywhere). After it returns no
        wake-up may reach the toolkit; main-thread-only state may be released later on
        the main thread, or simply never run again.
        """


@runtime_checkable
class AppWindow(Protocol):
    """Optional: a backend whose app has a main window the user can ask to close.

    Not part of :class:`MainThreadDispatcher`; ``uidispatch.aio.run_app`` uses it when a
    backend has it (Tk, Qt, Kivy, GTK, pygame) and falls back to ``BackendSpec.run_loop``
    otherwise. All methods are for the main thread only.
    """

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send the user's requests to close the app's main window to ``fn()``.

        The request is the toolkit's (Tk ``WM_DELETE_WINDOW``, Qt's close event of the last
        window, Kivy ``on_request_close``, GTK ``delete-event``). ``fn`` returning ``False``
        vetoes it (the window stays); anything else lets the toolkit close the window as
        it would have. An exception in ``fn`` is reported and the close goes ahead. A new
        ``fn`` replaces the previous one; ``None`` restores the toolkit's own behaviour.
        """

    def close_app(self) -> None:
        """Close the app's main window as a granted close request would. Idempotent.

        :meth:`run_main_loop` returns then. Nothing happens when the window is gone.
        """

    def run_main_loop(self) -> None:
        """Run the toolkit's main loop as the app would (``root.mainloop()``, ``app.exec()``).

        Returns once the app's main window is closed (by the user, :meth:`close_app`, or
        the app destroying it).
        """
