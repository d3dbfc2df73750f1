"""An asyncio event loop that runs as a guest of the UI thread's loop.

:class:`GuestLoop` is a real ``asyncio.SelectorEventLoop``: tasks, timers, sockets,
streams, executors, signal handlers and async generator hooks are asyncio's own. Only
who drives it differs. Its iterations run on the UI thread, one dispatcher entry each
(through :class:`~._aio_host.Host`), and its blocking wait for I/O and timers,
``selector.select(timeout)``, runs in one helper thread (:class:`_Waiter`) that posts
the next iteration when it has events or its timeout expired. With nothing ready and no
timer the helper blocks without a timeout: an idle app is never woken by the loop.

The iteration is asyncio's ``BaseEventLoop._run_once`` split in two: the wait is the
helper's, the rest (expired timers, then the callbacks ready when the iteration began) is
ours. That reads private attributes of the loop (``_ready``, ``_scheduled``,
``_process_events``...), identical from CPython 3.10 to 3.13; other versions are refused
with a ``RuntimeError`` until checked. Windows' proactor loop is out of scope: the guest is
always a selector loop.

An iteration may run inside another one: a coroutine opened a modal dialog, whose nested
toolkit loop runs the dispatcher. The nested iteration runs the other ready callbacks
(other coroutines go on) with the suspended task set aside, so asyncio never sees one
task entered while another runs.
"""

from __future__ import annotations

import asyncio
import asyncio.events
import asyncio.tasks
import concurrent.futures
import contextvars
import heapq
import logging
import selectors
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ._aio_host import Host

__all__ = ["SUPPORTED_VERSIONS", "GuestLoop"]

T = TypeVar("T")

logger = logging.getLogger("asyncio")  # where asyncio reports slow callbacks
_tasks: Any = asyncio.tasks  # _enter_task / _leave_task: private, on every supported version

SUPPORTED_VERSIONS = ((3, 10), (3, 11), (3, 12), (3, 13))
"""CPython versions whose ``_run_once`` the guest iteration was checked against."""

# asyncio's own limits (base_events), same on every supported version.
_MAXIMUM_SELECT_TIMEOUT = 24 * 3600
_MIN_SCHEDULED_TIMER_HANDLES = 100
_MIN_CANCELLED_TIMER_HANDLES_FRACTION = 0.5

# Selectors whose kernel object may be polled from two threads at once, registrations
# taking effect in a wait already running: the UI thread polls with a zero timeout while
# the helper waits. Others (select, poll) get the helper woken to re-poll instead.
_LIVE_SELECTORS: tuple[type, ...] = tuple(
    getattr(selectors, name)
    for name in ("EpollSelector", "KqueueSelector", "DevpollSelector")
    if hasattr(selectors, name)
)


def check_version() -> None:
    """Refuse a Python whose asyncio internals the guest loop was not checked against."""
    if sys.version_info[:2] not in SUPPORTED_VERSIONS:
        checked = ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED_VERSIONS)
        raise RuntimeError(
            f"uidispatch.aio's asyncio guest loop relies on asyncio internals checked on "
            f"CPython {checked}, not {sys.version_info.major}.{sys.version_info.minor}: "
            f"use lib='trio', or run asyncio in a thread and post results with the dispatcher"
        )


class GuestLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose iterations run on the UI thread through a :class:`Host`.

    Create it on the UI thread, call :meth:`begin`, then use it as any loop (create
    tasks on it). :meth:`end` closes it, on the UI thread, outside its iterations.
    ``run_forever`` and ``run_until_complete`` are refused: the UI's loop runs this one.
    ``run_in_executor(None, ...)`` runs on ``executor`` (a uidispatch pool).
    """

    def __init__(self, host: Host, executor: concurrent.futures.Executor) -> None:
        super().__init__()  # check_version() first: AsyncioRun does
        self._host = host
        self._pool = executor
        self.uidispatch_dispatcher = host.dispatcher
        """The dispatcher whose drains run this loop: ``await task`` of a task delivering
        through it resumes behind the task's callbacks, in the dispatcher's queue."""
        me: Any = self
        self._live = isinstance(me._selector, _LIVE_SELECTORS)
        self._depth = 0  # iterations running now (more than one: a nested toolkit loop)
        self._posted = False  # an iteration is posted and has not started
        self._waiter = _Waiter(self)
        self._ui_thread: int | None = None
        self.on_idle_end: Callable[[], object] | None = None
        """Called at the end of the outermost iteration (the run winds down there)."""
        self.owns_exception: Callable[[BaseException], bool] = lambda exc: False
        """Whether a ``KeyboardInterrupt`` or ``SystemExit`` leaving a callback is kept by
        the run (main raised it: the run's result re-raises it), so it goes no further."""

    # ------------------------------------------------------------------ life

    def begin(self) -> None:
        """Mark the loop running on this (UI) thread. Call once, before anything runs."""
        self._ui_thread = threading.get_ident()
        me: Any = self
        # What run_forever sets for its whole run: is_running() is true, and asyncio's
        # thread checks (debug mode) know the loop's thread.
        me._thread_id = threading.get_ident()
        self._kick()

    @property
    def iterating(self) -> bool:
        """True while an iteration runs (an outermost one or a nested one)."""
        return self._depth > 0

    def end(self) -> None:
        """Stop the helper thread and close the loop. UI thread, outside iterations."""
        if self.is_closed():
            return
        self._waiter.stop()
        me: Any = self
        me._thread_id = None  # not running: close() allows it
        self.close()

    def run_forever(self) -> None:
        """Refused: the UI thread's loop drives this loop."""
        raise RuntimeError("a uidispatch.aio guest loop is driven by the UI loop: never run it")

    def run_until_complete(self, future: Any) -> Any:
        """Refused: the UI thread's loop drives this loop (await instead)."""
        raise RuntimeError(
            "a uidispatch.aio guest loop is driven by the UI loop: await the coroutine instead"
        )

    # ------------------------------------------------------------------ scheduling

    def call_soon(  # type: ignore[override]
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        """``asyncio``'s ``call_soon``; outside an iteration it also wakes the loop."""
        handle = super().call_soon(callback, *args, context=context)
        # Inside an iteration too: the callback may be about to enter a nested toolkit
        # loop (a modal dialog), which then finds the next iteration posted.
        self._wake()
        return handle

    def call_at(  # type: ignore[override]
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        """``asyncio``'s ``call_at``; outside an iteration it also wakes the loop."""
        handle = super().call_at(when, callback, *args, context=context)
        if not self._depth:
            self._wake()
        elif self._ui_thread is not None and not self.is_closed():
            # Armed now, not only when the iteration ends: a nested toolkit loop entered
            # before then still sees the timer fire.
            me: Any = self
            self._waiter.arm(me._scheduled[0].when())
        return handle

    def run_in_executor(  # type: ignore[override]
        self, executor: concurrent.futures.Executor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        """``asyncio``'s ``run_in_executor``; ``None`` means the uidispatch pool."""
        return super().run_in_executor(self._pool if executor is None else executor, func, *args)

    def _wake(self) -> None:
        if self.is_closed() or self._ui_thread is None:
            return
        if threading.get_ident() != self._ui_thread:
            me: Any = self
            me._write_to_self()  # the helper posts
            return
        self._kick()

    def _kick(self) -> None:
        if not self._posted:
            self._posted = True
            self._host.post(self._iterate)

    # ------------------------------------------------------------------ iterating

    def _iterate(self) -> None:
        """One loop iteration, on the UI thread."""
        if self.is_closed():
            return
        self._posted = False
        nested = self._depth > 0
        self._depth += 1
        outer_loop = asyncio.events._get_running_loop()
        hooks = sys.get_asyncgen_hooks()
        # Only while it iterates: a plain UI callback outside any coroutine sees no loop.
        asyncio.events._set_running_loop(self)
        me: Any = self
        sys.set_asyncgen_hooks(
            firstiter=me._asyncgen_firstiter_hook, finalizer=me._asyncgen_finalizer_hook
        )
        suspended = asyncio.tasks.current_task(self) if nested else None
        if suspended is not None:
            # A task waits in a nested toolkit loop: set it aside so another can step.
            _tasks._leave_task(self, suspended)
        try:
            self._run_ready()
        except (KeyboardInterrupt, SystemExit) as exc:
            if not self.owns_exception(exc):
                raise
        finally:
            if suspended is not None:
                _tasks._enter_task(self, suspended)
            sys.set_asyncgen_hooks(*hooks)
            asyncio.events._set_running_loop(outer_loop)
            self._depth -= 1
            if not self.is_closed():
                self._arrange_next()
                if not self._depth and self.on_idle_end is not None:
                    self.on_idle_end()

    def _run_ready(self) -> None:
        """``BaseEventLoop._run_once`` without its wait (CPython 3.10 to 3.13)."""
        me: Any = self  # asyncio's private state, as _run_once reads it
        scheduled: list[Any] = me._scheduled
        count = len(scheduled)
        if (
            count > _MIN_SCHEDULED_TIMER_HANDLES
            and me._timer_cancelled_count / count > _MIN_CANCELLED_TIMER_HANDLES_FRACTION
        ):
            kept: list[Any] = []
            for handle in scheduled:
                if handle._cancelled:
                    handle._scheduled = False
                else:
                    kept.append(handle)
            heapq.heapify(kept)
            me._scheduled = scheduled = kept
            me._timer_cancelled_count = 0
        else:
            while scheduled and scheduled[0]._cancelled:
                me._timer_cancelled_count -= 1
                handle = heapq.heappop(scheduled)
                handle._scheduled = False

        if self._live or not self._waiter.selecting:
            events = me._selector.select(0)
            me._process_events(events)
            del events

        ready = me._ready
        end_time = self.time() + me._clock_resolution
        while scheduled:
            handle = scheduled[0]
            if handle._when >= end_time:
                break
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            ready.append(handle)

        # The callbacks ready now; those they schedule run on the next iteration. A nested
        # iteration may take some of them meanwhile: never pop an empty deque.
        todo = len(ready)
        while todo > 0 and ready:
            todo -= 1
            handle = ready.popleft()
            if handle._cancelled:
                continue
            if me._debug:
                self._run_debug(handle)
            else:
                handle._run()
        handle = None  # no cycle through a raised exception's frame

    def _run_debug(self, handle: Any) -> None:
        me: Any = self
        me._current_handle = handle
        start = self.time()
        try:
            handle._run()
        finally:
            me._current_handle = None
        took = self.time() - start
        if took >= self.slow_callback_duration:
            logger.warning("Executing %r took %.3f seconds", handle, took)

    def _arrange_next(self) -> None:
        """After an iteration: post the next one, or have the helper wait for I/O."""
        me: Any = self
        if me._ready:
            self._kick()
            return
        scheduled: list[asyncio.TimerHandle] = me._scheduled
        self._waiter.arm(scheduled[0].when() if scheduled else None)


class _Waiter:
    """The helper thread: waits in ``selector.select`` and posts the next iteration.

    It is handed a deadline (or none: wait for I/O only) after an iteration that left
    nothing ready. While it waits, a callback the UI thread adds outside an iteration is
    run by an iteration posted directly (no hop through this thread); an earlier deadline,
    or with a selector that cannot be polled concurrently any change, wakes it through the
    loop's self-pipe so it waits again with what is current.
    """

    def __init__(self, loop: GuestLoop) -> None:
        self._loop = loop
        self._private: Any = loop  # its self-pipe and selector: asyncio's private state
        self._cond = threading.Condition(threading.Lock())
        self._request: tuple[float | None] | None = None
        self._deadline: float | None = None
        self._quit = False
        self._thread: threading.Thread | None = None
        self.selecting = False

    def arm(self, deadline: float | None) -> None:
        """Wait for I/O until ``deadline`` (loop time; ``None``: no timer). UI thread."""
        loop = self._loop
        with self._cond:
            if self._quit:
                return
            if self.selecting:
                current = self._deadline
                earlier = deadline is not None and (current is None or deadline < current)
                if loop._live and not earlier:
                    return
                wake = True
            else:
                wake = False
                self._request = (deadline,)
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="uidispatch-aio-wait", daemon=True
                    )
                    self._thread.start()
                else:
                    self._cond.notify()
        if wake:
            self._private._write_to_self()

    def stop(self) -> None:
        """End the helper thread and wait for it (briefly). UI thread."""
        with self._cond:
            self._quit = True
            selecting = self.selecting
            self._cond.notify()
            thread = self._thread
        if selecting:
            self._private._write_to_self()
        if thread is not None:
            thread.join(5.0)

    def _stopping(self) -> bool:
        with self._cond:
            return self._quit

    def _run(self) -> None:
        loop = self._loop
        selector = self._private._selector
        while True:
            with self._cond:
                while self._request is None and not self._quit:
                    self._cond.wait()
                if self._quit:
                    return
                request, self._request = self._request, None
                deadline = request[0] if request is not None else None
                self._deadline = deadline
                self.selecting = True
            timeout = None
            if deadline is not None:
                timeout = min(max(0.0, deadline - loop.time()), _MAXIMUM_SELECT_TIMEOUT)
            try:
                selector.select(timeout)
            except (OSError, ValueError):  # closed under us: only at the end
                pass
            finally:
                with self._cond:
                    self.selecting = False
            if self._stopping():
                return
            # Events or timeout: the iteration polls again (with a zero timeout) itself.
            loop._host.post(loop._iterate)
