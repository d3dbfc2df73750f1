"""The Kivy backend: one Clock trigger per batch, Clock timers, frame-paced pumping.

Wake-up. ``post`` (a ``uidispatch.backendkit.PostQueue``) appends to a deque and calls
one ``Clock.create_trigger(cb, 0)`` event once per batch. Calling a trigger is thread-
safe (``ClockEvent.__call__`` links the event into the clock's list under the clock's
lock, kivy/_clock.pyx in Kivy 2.3.1) and a no-op while it is already scheduled, so a
worker never waits for the Kivy thread and a batch costs one clock event. The naive
pattern, one ``Clock.schedule_once`` per call, costs a new ``ClockEvent`` per call (0.8
us against 0.1-0.2 us for calling the trigger, measured here) and runs every callback
scheduled before the frame in that one frame: Kivy ran up to 40,515 callbacks in one
frame (BASELINES.md), and users have reported losing results from worker threads with it
(kivy/kivy#5202).

Which frame. Kivy's frame is ``Clock.tick()`` (sleep to the next frame, then run the
events whose timeout is due, timeout 0 included), input, ``Clock.tick_draw()`` (the
events with timeout -1, looped up to ``Clock.max_iteration`` times while any is found)
and the paint. The trigger uses timeout **0**: re-armed from inside its own callback
(the core re-posts its drain when the budget is spent) it lands behind the frame's cap
and runs in the *next* ``Clock.tick()``, after this frame is painted. Measured: a
timeout-0 trigger re-armed in its callback ran once per frame; a timeout -1 trigger ran
21 times in one frame (and would make Kivy log "too much iteration"). So a flood runs
one budgeted drain per frame, and the frame is painted between drains.

Timers. ``Clock.schedule_once(cb, delay)`` counts from the start of the current frame
and fires up to ``1 / (3 * maxfps)`` early (``ClockEvent.tick`` allows the clock
resolution), so a timer that wakes early re-arms itself for the rest: ``call_later``
never runs before ``delay`` has passed.

Liveness. A widget counts as dead once it is detached from its window *after this
backend saw it attached* (``is_alive`` remembers, weakly, the widgets it found in a
window). Kivy cannot tell "not added yet" from "removed": both have no parent and no
root window, and a widget built by a worker's callback before it is shown must stay
alive. A garbage-collected owner is dead in the core already. An ``App`` is alive while
it is ``App.get_running_app()``.

App end. The backend binds ``EventLoop``'s ``on_stop``, which Kivy dispatches whenever
its loop stops (``App.stop()``, the window closed, an exception leaving ``App.run()``),
and then calls the ``on_app_closed`` callbacks, so the dispatcher closes and a worker
waiting in ``call()`` gets ``DispatcherClosed`` instead of waiting forever. Nothing
holds the backend strongly from Kivy: the trigger and the ``on_stop`` handler reach it
through weak references, and it holds its ``App`` weakly.

Close requests (the optional ``AppWindow`` capability, for ``aio.run_app``): the window's
``on_request_close`` goes to the handler given, which may veto it; ``run_main_loop`` runs
``App.run()`` of the bound App (see ``_close.py``).
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from uidispatch.backendkit import PostQueue

from ._close import window_of

__all__ = ["KivyBackend"]


class _ClockTimer:
    """A ``call_later`` handle on ``Clock.schedule_once`` that never fires early."""

    __slots__ = ("__weakref__", "_backend", "_clock", "_due", "_event", "_fn", "_tick")

    def __init__(self, backend: KivyBackend, delay: float, fn: Callable[[], object]) -> None:
        self._backend = weakref.ref(backend)
        self._clock = backend._clock
        self._fn = fn
        self._due = time.monotonic() + delay
        ref = weakref.ref(self)

        # Kivy holds bound methods weakly (its WeakMethod), and callers often drop the
        # handle: the clock must hold a plain function, which reaches us through a
        # weak reference while the backend's timer set keeps us alive.
        def tick(dt: float) -> None:
            timer = ref()
            if timer is not None:
                timer._fire()

        self._tick = tick
        backend._timers.add(self)
        self._event: Any = self._clock.schedule_once(tick, delay)

    def _fire(self) -> None:
        remaining = self._due - time.monotonic()
        if remaining > 0:
            self._event = self._clock.schedule_once(self._tick, remaining)
            return
        self._event = None
        backend = self._backend()
        if backend is not None:
            backend._timers.discard(self)
            backend._ran = True
        self._fn()

    def cancel(self) -> None:
        """Stop the timer if it has not fired; idempotent. Main thread (any thread is safe)."""
        event, self._event = self._event, None
        if event is not None:
            event.cancel()
        backend = self._backend()
        if backend is not None:
            backend._timers.discard(self)


class KivyBackend:
    """A ``MainThreadDispatcher`` on Kivy's ``Clock``.

    ``KivyBackend(app)`` binds to a Kivy ``App`` (held weakly), to ``kivy.clock.Clock``,
    or with ``None`` to the running App if any, else to the Clock. Its main thread is
    the thread that creates it (create it on the Kivy thread, the one that runs
    ``App.run()`` or ticks the Clock), except that one built on a worker while a Kivy
    ``App`` exists or Kivy's event loop runs takes the process's main thread, where that
    loop runs. Importing this module does not import Kivy; building a backend does.

    Raises:
        TypeError: ``app`` is neither a Kivy ``App`` nor the Kivy ``Clock``.

    """

    name = "kivy"

    def __init__(self, app: object | None = None) -> None:
        from kivy.base import EventLoop  # type: ignore[import-untyped]
        from kivy.clock import Clock, CyClockBase  # type: ignore[import-untyped]

        self._app: weakref.ref[Any] | None = None
        if app is None:
            app = _running_app()
        if app is not None and not isinstance(app, CyClockBase):
            if not _is_kivy_app(app):
                raise TypeError(
                    f"app must be a kivy.app.App or kivy.clock.Clock for the kivy backend, "
                    f"got {app!r}"
                )
            self._app = weakref.ref(app)
        self._clock: Any = Clock
        self._thread = threading.get_ident()
        main = threading.main_thread()
        if threading.current_thread() is not main and (
            EventLoop.status == "started" or _running_app() is not None
        ):
            # Built on a worker (its first get_dispatcher()) in a Kivy app: the app's loop
            # runs on the main thread, where Kivy's window has to live.
            assert main.ident is not None
            self._thread = main.ident
        self._timers: set[_ClockTimer] = set()
        self._attached: weakref.WeakSet[Any] = weakref.WeakSet()
        self._app_closed: list[Callable[[], object]] = []
        self._notified = False
        self._closed = False
        self._ran = False
        ref = weakref.ref(self)

        def run_posted(dt: float) -> None:
            backend = ref()
            if backend is not None:
                backend._run_posted()

        def loop_stopped(*_: object) -> None:
            backend = ref()
            if backend is not None:
                backend._notify_app_closed()

        # A plain function, not a bound method: Kivy's trigger would hold a method weakly.
        self._trigger: Any = Clock.create_trigger(run_posted, 0)
        # One trigger call per batch, dropped after close (backendkit.PostQueue).
        self._posts = PostQueue(self._trigger)
        self._loop: Any = EventLoop
        self._stop_uid: Any = EventLoop.fbind("on_stop", loop_stopped)

    # ------------------------------------------------------------------ protocol

    def is_main_thread(self) -> bool:
        """True on the Kivy thread (see the class docstring). Any thread; after close too."""
        return threading.get_ident() == self._thread

    def post(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the Kivy thread in the next frame's ``Clock.tick()``. Any thread.

        Never waits for the Kivy thread. From the Kivy thread while a posted function
        runs, ``fn`` runs in the next frame, after this one is painted. After ``close()``
        ``fn`` is dropped.
        """
        self._posts.post(fn)

    def _run_posted(self) -> None:
        self._ran = True
        # Only what was posted before this frame: a re-post from inside re-arms the
        # trigger, which then runs in the next frame, so Kivy paints between batches.
        self._posts.drain()

    def call_later(self, delay: float, fn: Callable[[], object]) -> _ClockTimer:
        """Run ``fn()`` on the Kivy thread once ``delay`` seconds (``>= 0``) have passed.

        Main thread only. The handle's ``cancel()`` stops it; ``close()`` cancels every
        pending timer.
        """
        return _ClockTimer(self, delay, fn)

    def is_alive(self, obj: object) -> bool:
        """Whether ``obj`` can still be used. Main thread only.

        A Kivy ``Widget`` is dead once it has no root window after this backend saw it
        in one (a widget never seen in a window is alive: it may not be added yet); an
        ``App`` is dead once it is no longer ``App.get_running_app()``; anything else
        is alive.
        """
        widget_cls = _module_attr("kivy.uix.widget", "Widget")
        if widget_cls is not None and isinstance(obj, widget_cls):
            if obj.get_root_window() is not None:
                self._attached.add(obj)
                return True
            return obj not in self._attached
        if _is_kivy_app(obj):
            return _running_app() is obj
        return True

    def process_events(self, timeout: float) -> None:
        """Run Kivy frames until a posted call or timer ran, or ``timeout`` passed.

        Main thread only, and not from inside a Kivy callback (Kivy's clock is not
        re-entrant). Runs at least one frame; frames are paced by the Clock (``maxfps``,
        60 by default), so it may return up to one frame after ``timeout``. While a Kivy
        ``EventLoop`` runs with a window a frame is ``EventLoop.idle()`` (input and
        paint included), otherwise ``Clock.tick()`` then ``Clock.tick_draw()``.

        Raises:
            RuntimeError: called off the main thread.

        """
        if not self.is_main_thread():
            raise RuntimeError("process_events() ticks the Kivy Clock: call it on the Kivy thread")
        deadline = time.monotonic() + timeout
        self._ran = False
        loop = self._loop
        clock = self._clock
        while True:
            if loop.status == "started" and loop.window is not None:
                loop.idle()
            else:
                clock.tick()
                clock.tick_draw()
            if self._ran or time.monotonic() >= deadline:
                return

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` once when Kivy's event loop stops (``App.stop()``, window closed).

        Any thread. Registered after the loop stopped, ``fn`` waits for the next stop.
        """
        self._app_closed.append(fn)

    def _notify_app_closed(self) -> None:
        if self._notified or self._closed:
            return
        self._notified = True
        for fn in list(self._app_closed):
            fn()

    # ------------------------------------------------------------------ AppWindow

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send the window's ``on_request_close`` to ``fn``; False from it vetoes. Kivy thread."""
        window_of(self).on_close_requested(fn)

    def close_app(self) -> None:
        """Leave Kivy's loop, as a granted close request does; idempotent. Kivy thread."""
        window_of(self).close_app()

    def run_main_loop(self) -> None:
        """``App.run()`` of the bound App (``runTouchApp()`` without one). Kivy thread."""
        window_of(self).run_main_loop()

    def close(self) -> None:
        """Cancel the trigger and pending timers and drop queued posts; idempotent. Any thread."""
        if self._closed:
            return
        self._closed = True
        self._posts.close()
        self._trigger.cancel()  # the clock's lock makes this safe from any thread
        for timer in list(self._timers):
            timer.cancel()
        loop, uid = self._loop, self._stop_uid
        if self.is_main_thread():
            loop.unbind_uid("on_stop", uid)
        else:
            # Kivy's event observers are Kivy-thread state: unbind there, in the next frame
            # (schedule_once is thread-safe; until then the handler reaches a closed backend).
            self._clock.schedule_once(lambda dt: loop.unbind_uid("on_stop", uid), 0)

    @property
    def app(self) -> object | None:
        """The ``App`` this backend is bound to, or ``None`` (bound to the Clock)."""
        return self._app() if self._app is not None else None

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<uidispatch_kivy.KivyBackend app={self.app!r} {state}>"


def _module_attr(module: str, attr: str) -> Any:
    mod = sys.modules.get(module)
    return getattr(mod, attr, None) if mod is not None else None


def _is_kivy_app(obj: object) -> bool:
    app_cls = _module_attr("kivy.app", "App")
    return app_cls is not None and isinstance(obj, app_cls)


def _running_app() -> Any:
    app_cls = _module_attr("kivy.app", "App")
    return app_cls.get_running_app() if app_cls is not None else None
