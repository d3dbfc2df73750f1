"""The ``asyncio`` backend: a running asyncio loop is the main loop (headless apps, qasync).

Thread-safe posts use ``call_soon_threadsafe``; from the loop's own thread, ``call_soon``
(which runs on the *next* loop iteration, so a re-posted drain lets other callbacks run).

A closed loop is the app ending, as a destroyed Tk root is: ``loop.close()`` (which
``asyncio.run()`` calls on its way out) closes every dispatcher bound to the loop, so a
worker waiting in ``call()`` gets ``DispatcherClosed`` instead of waiting forever and later
posts raise instead of piling up (a non-daemon worker of the quickstart kept the
process alive, and 200,000 posts after ``asyncio.run()`` sat in memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Callable

from ..backendkit import run_asyncio_loop
from ..hookspecs import BackendSpec, Detection

__all__ = ["SPEC", "AsyncioBackend"]


class AsyncioBackend:
    """A ``MainThreadDispatcher`` on an asyncio event loop.

    ``AsyncioBackend(loop)`` binds to ``loop``; without one it binds to the loop running
    in this thread, or creates (and owns, and closes) a new loop.
    """

    name = "asyncio"

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._owned = False
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.new_event_loop()
                self._owned = True
        elif not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"app must be an asyncio event loop, got {loop!r}")
        elif loop.is_closed():
            raise ValueError(
                f"app={loop!r} is a closed asyncio event loop: nothing would ever run there; "
                "bind to the loop that runs now (call get_dispatcher() inside it) or a new one"
            )
        self.loop = loop
        self._thread = threading.get_ident()
        self._wake: asyncio.Future[None] | None = None
        self._ran = False
        self._closed = False
        self._timers: set[_Timer] = set()  # pending call_later, cancelled by close()
        self._app_closed: list[Callable[[], object]] = []
        _watch_close(loop, self)

    def is_main_thread(self) -> bool:
        """True on the thread that runs (or created) the loop."""
        return threading.get_ident() == self._thread

    def _run(self, fn: Callable[[], object]) -> None:
        self._ran = True
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)
        if self._closed:  # posted before close(), still in the loop's queue: never run
            return
        fn()

    def post(self, fn: Callable[[], object]) -> None:
        """Schedule ``fn`` on the loop. Any thread.

        On a closed loop nothing can run ``fn``: the ``on_app_closed`` callbacks run
        instead (the dispatcher closes, and drops and counts what was queued). That covers
        loops whose ``close`` could not be watched (a loop class without ``__dict__``).
        """
        loop = self.loop
        if self.is_main_thread():
            if not loop.is_closed():
                loop.call_soon(self._run, fn)
                return
        else:
            try:
                loop.call_soon_threadsafe(self._run, fn)
                return
            except RuntimeError:  # "Event loop is closed"
                if not loop.is_closed():
                    raise
        self._loop_closed()

    def _loop_closed(self) -> None:
        callbacks, self._app_closed = self._app_closed, []
        for fn in callbacks:
            fn()

    def call_later(self, delay: float, fn: Callable[[], object]) -> _Timer:
        """``loop.call_later``. Main thread only. :meth:`close` cancels it."""
        timer = _Timer(fn, self._timers)
        timer.handle = self.loop.call_later(delay, self._fire, timer)
        self._timers.add(timer)
        return timer

    def _fire(self, timer: _Timer) -> None:
        self._timers.discard(timer)
        fn, timer.fn = timer.fn, None
        if fn is not None:
            self._run(fn)

    def is_alive(self, obj: object) -> bool:
        """A closed loop is dead; anything else is alive."""
        if isinstance(obj, asyncio.AbstractEventLoop):
            return not obj.is_closed()
        return True

    def process_events(self, timeout: float) -> None:
        """Run the loop until a posted callback or timer ran, or ``timeout`` passed.

        Main thread only, and only while the loop is not running: inside a running loop,
        ``await`` instead.
        """
        if self.loop.is_running():
            raise RuntimeError("process_events() cannot pump a running asyncio loop; await instead")
        self.loop.run_until_complete(self._pump(timeout))

    async def _pump(self, timeout: float) -> None:
        await asyncio.sleep(0)  # what was already queued runs now
        try:
            if not self._ran:
                self._wake = self.loop.create_future()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._wake), timeout)
        finally:
            self._wake = None
            self._ran = False

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` once the loop is closed (in the thread that closed it).

        ``loop.close()`` is watched; a loop closed behind its back is noticed by the next
        :meth:`post`.
        """
        if self.loop.is_closed():
            fn()
        else:
            self._app_closed.append(fn)

    def close(self) -> None:
        """Cancel the pending timers; close the loop if this backend created it. Idempotent.

        Any thread: the timers' callbacks (and their arguments) are released at once; the
        loop's own handles are cancelled on the loop's thread.
        """
        if self._closed:
            return
        self._closed = True
        timers, self._timers = self._timers, set()
        for timer in timers:
            timer.fn = None
        if timers and not self.loop.is_closed():
            if self.is_main_thread():
                _cancel_all(timers)
            else:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    self.loop.call_soon_threadsafe(_cancel_all, timers)
        if self._owned and not self.loop.is_running() and not self.loop.is_closed():
            self.loop.close()


class _Timer:
    """A ``call_later`` handle; ``cancel()`` on the loop's thread."""

    __slots__ = ("fn", "handle", "pending")

    def __init__(self, fn: Callable[[], object], pending: set[_Timer]) -> None:
        self.fn: Callable[[], object] | None = fn
        self.handle: asyncio.TimerHandle | None = None
        self.pending = pending  # the backend's set, not the backend: no cycle through it

    def cancel(self) -> None:
        """Stop the call if it has not run; idempotent. Loop thread only."""
        self.fn = None
        self.pending.discard(self)
        if self.handle is not None:
            self.handle.cancel()


def _cancel_all(timers: set[_Timer]) -> None:
    for timer in list(timers):  # cancel() discards from the set
        timer.cancel()


# loop -> the live backends bound to it; both weak, so watching a loop keeps nothing alive.
_watched: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.WeakSet[AsyncioBackend]]
_watched = weakref.WeakKeyDictionary()
_watched_lock = threading.Lock()


def _watch_close(loop: asyncio.AbstractEventLoop, backend: AsyncioBackend) -> None:
    """Have ``loop.close()`` tell ``backend`` (and every other backend on that loop).

    asyncio has no close notification, so the loop's ``close`` is wrapped on the instance.
    The wrapper holds the loop weakly (no loop -> wrapper -> loop cycle) and chains to a
    ``close`` someone else set on the instance before us.
    """
    with _watched_lock:
        try:
            backends = _watched[loop]
        except KeyError:
            pass
        except TypeError:  # not weakly referenceable: post() notices the close instead
            return
        else:
            backends.add(backend)
            return
        previous = vars(loop).get("close") if hasattr(loop, "__dict__") else None
        cls_close = type(loop).close
        ref = weakref.ref(loop)

        def close() -> None:
            target = ref()
            if target is None:  # pragma: no cover - a caller holds the loop
                return
            if previous is not None:
                previous()
            else:
                cls_close(target)
            if target.is_closed():  # a running loop refuses to close: nothing ended
                with _watched_lock:
                    bound = list(_watched.pop(target, ()))
                for b in bound:
                    b._loop_closed()

        try:
            loop.close = close  # type: ignore[method-assign]
        except (AttributeError, TypeError):  # a compiled loop class: post() notices instead
            return
        _watched[loop] = weakref.WeakSet([backend])


def _detect() -> int:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return Detection.NONE
    return Detection.LOOP


def _current_app() -> object | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _run_loop(backend: object, until: Callable[[], object], timeout: float) -> None:
    """``loop.run_until_complete`` of a coroutine that returns once ``until()`` holds."""
    run_asyncio_loop(backend.loop, until, timeout)  # type: ignore[attr-defined]


def _create(app: object | None) -> AsyncioBackend:
    if app is not None and not isinstance(app, asyncio.AbstractEventLoop):
        raise TypeError(f"app must be an asyncio event loop for the asyncio backend, got {app!r}")
    return AsyncioBackend(app)  # ValueError for a closed loop


SPEC = BackendSpec(
    name="asyncio",
    create=_create,
    detect=_detect,
    current_app=_current_app,
    requires=("asyncio",),
    run_loop=_run_loop,
    description="a running asyncio event loop (headless apps, services)",
)
