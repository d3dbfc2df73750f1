"""``call_later``'s timers: the pending call, its handle, and arming it on the backend.

The call is held where ``cancel()`` and ``close()`` can drop it at once, from any thread,
whatever the backend keeps of its own timer until that fires.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._priority import Priority
from ._protocol import TimerHandle

if TYPE_CHECKING:
    from ._dispatcher import Dispatcher

__all__ = ["drop_calls", "start_timer"]


class _Call:
    """A timer's pending call, dropped at once by ``cancel()`` and ``close()``. Any thread.

    Held by the backend's timer (through ``fire``), the handle and, weakly, the
    dispatcher; it refers to none of them, so no cycle can keep ``fn`` and ``args``
    for the collector, and a month-long timer never pins its arguments past ``close()``.
    """

    __slots__ = ("__weakref__", "args", "fn")

    def __init__(self, fn: Callable[..., object] | None, args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args

    def take(self) -> tuple[Callable[..., object] | None, tuple[Any, ...]]:
        fn, args = self.fn, self.args
        self.fn, self.args = None, ()
        return fn, args


class _Timer:
    """A ``call_later`` handle whose ``cancel()`` works from any thread."""

    __slots__ = ("__weakref__", "_call", "_dispatcher", "_inner", "cancelled", "fired")

    def __init__(self, dispatcher: Dispatcher, call: _Call) -> None:
        # Weak: the backend holds this handle's callback until it fires.
        self._dispatcher = weakref.ref(dispatcher)
        self._inner: TimerHandle | None = None
        self._call = call
        self.cancelled = False
        self.fired = False

    def cancel(self) -> None:
        """Stop the call if it has not run yet; idempotent; any thread."""
        self.cancelled = True
        self._call.take()  # the callback and its arguments go now
        inner = self._inner
        d = self._dispatcher()
        if inner is None or self.fired or d is None or d.closed:
            return
        if d.backend.is_main_thread():
            inner.cancel()
        else:
            # The flag already stops the call; releasing the toolkit timer is main-thread work.
            d.call_soon(inner.cancel, priority=Priority.HIGH)


def start_timer(dispatcher: Dispatcher, call: _Call, delay: float) -> _Timer:
    """Arm ``call`` to run after ``delay`` seconds on the dispatcher's backend."""
    timer = _Timer(dispatcher, call)
    ref = weakref.ref(dispatcher)  # the backend holds these closures: no cycle through it
    # Weak too: the handle holds the backend's timer, which holds fire. A cycle there
    # would keep fn and args (a Tk root) for the collector once a backend that keeps
    # cancelled timers' callbacks drops the timer. A handle nobody holds cannot cancel.
    handle = weakref.ref(timer)

    def fire() -> None:
        d = ref()
        target, target_args = call.take()
        if d is None or d.closed or target is None:
            return
        held = handle()
        if held is not None:
            held.fired = True
        try:
            target(*target_args)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            d.report_error(exc, target)

    def arm(remaining: float) -> None:
        d = ref()
        if d is not None and call.fn is not None and not d.closed:
            timer._inner = d._backend.call_later(max(0.0, remaining), fire)

    if dispatcher._backend.is_main_thread():
        arm(delay)
    else:
        clock, t0 = dispatcher._clock, dispatcher._clock()
        dispatcher.call_soon(lambda: arm(delay - (clock() - t0)), priority=Priority.HIGH)
    return timer


def drop_calls(calls: weakref.WeakSet[_Call]) -> None:
    """Drop every pending call in ``calls`` (``close()``), whatever the backend keeps."""
    while True:
        try:  # a call_later racing this close() on the main thread may grow the set
            pending = list(calls)
            break
        except RuntimeError:
            continue
    for call in pending:
        call.take()  # callbacks and arguments go now
