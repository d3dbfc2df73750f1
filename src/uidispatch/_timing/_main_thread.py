"""The ``main_thread`` decorator: call a function from any thread, run it on the main thread."""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import weakref
from collections.abc import Callable
from typing import Any, Literal, ParamSpec, Protocol, TypeVar, overload

from .._core._dispatcher import Dispatcher, provide_shortcut
from .._core._errors import DispatcherClosed, UIDispatchError
from .._core._options import callable_kind, check_seconds
from .._core._priority import Priority
from ._lazy import LazyDispatcher
from ._method import as_method
from ._signature import max_positional

__all__ = ["main_thread"]

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger("uidispatch")


class _MainThreadFuture(concurrent.futures.Future[R]):
    """A Future that reports its exception to the error handler if nobody ever read it.

    A worker that calls a ``@main_thread`` function for its side effect drops the Future;
    without this an exception on the main thread would vanish (asyncio logs "exception
    was never retrieved" for the same reason). The queue never holds this Future (a
    :class:`_Relay` does, weakly), so no traceback frame of the drain can put it in a
    reference cycle: it dies, and reports, as soon as the caller lets go of it.
    """

    def __init__(self, dispatcher: Dispatcher, fn: object) -> None:
        super().__init__()
        self._ud_dispatcher: Dispatcher | None = dispatcher
        self._ud_fn = fn

    def result(self, timeout: float | None = None) -> R:
        """See :meth:`concurrent.futures.Future.result`."""
        self._ud_dispatcher = None
        try:
            return super().result(timeout)
        finally:
            del self  # the raised exception's traceback holds this frame: no cycle via self

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """See :meth:`concurrent.futures.Future.exception`."""
        self._ud_dispatcher = None
        return super().exception(timeout)

    def __del__(self) -> None:
        d = getattr(self, "_ud_dispatcher", None)  # None too if __init__ never finished
        if d is None:
            return
        # Nobody else holds the Future now, so its lock is not needed: one attribute read
        # instead of three lock round trips (this runs once per call from a worker).
        exc = getattr(self, "_exception", None)
        if exc is not None:
            _report_unread(d, exc, self._ud_fn)


class _Relay:
    """What the dispatcher's queue settles in place of a ``@main_thread`` Future.

    It holds the caller's Future weakly: the drain's traceback frames (kept by the
    function's exception) name the relay, never the Future, and a Future the caller
    already dropped (fire and forget) is noticed when the call fails, so its exception is
    reported then, on the main thread, instead of whenever a collector ran.
    """

    __slots__ = ("_dispatcher", "_fn", "_future")

    def __init__(self, future: _MainThreadFuture[Any], dispatcher: Dispatcher, fn: object):
        self._future = weakref.ref(future)
        self._dispatcher = weakref.ref(dispatcher)
        self._fn = fn

    def set_running_or_notify_cancel(self) -> bool:
        future = self._future()
        # A dropped Future still runs: a fire-and-forget call is wanted for its effect.
        return True if future is None else future.set_running_or_notify_cancel()

    def set_result(self, result: object) -> None:
        future = self._future()
        if future is not None:
            future.set_result(result)

    def set_exception(self, exc: BaseException) -> None:
        future = self._future()
        if future is not None:
            future.set_exception(exc)
            return
        d = self._dispatcher()
        if d is not None:
            _report_unread(d, exc, self._fn)

    def cancel(self) -> bool:
        future = self._future()
        return future is None or future.cancel()


def _report_unread(d: Dispatcher, exc: BaseException, fn: object) -> None:
    """Hand an exception nobody will read to ``d``'s error handler, on the main thread.

    Closing and ``drop_oldest`` are the app's own decisions, counted in stats: only the
    function's own errors need a human. Never raises (it may run in ``__del__``).
    """
    if isinstance(exc, UIDispatchError):
        return
    try:
        if d.is_main_thread():
            d.report_error(exc, fn)  # never raises: it guards the handler itself
            return
        d.call_soon(_report_later, weakref.ref(d), exc, fn, priority=Priority.HIGH)
    except Exception:  # closed (or full): the main thread is gone or out of room
        logger.error(
            "uncaught exception in main-thread function %r (its Future was never read and "
            "the dispatcher could not take the report)",
            fn,
            exc_info=(type(exc), exc, exc.__traceback__),
        )


def _report_later(ref: weakref.ref[Dispatcher], exc: BaseException, fn: object) -> None:
    d = ref()
    if d is not None:
        d.report_error(exc, fn)


def _submit(
    d: Dispatcher, call: Callable[..., R], args: tuple[Any, ...], fn: object
) -> concurrent.futures.Future[R]:
    """Queue ``call(*args)`` in ``d``'s NORMAL lane; the returned Future always settles.

    It uses the same queue entry as ``Dispatcher.call()``: the drain sets the outcome on
    the Future (through a :class:`_Relay`), and ``close()`` / ``drop_oldest`` fail it
    (``DispatcherClosed`` / ``QueueFull``) instead of leaving a worker holding a Future
    that never completes.
    """
    future: _MainThreadFuture[R] = _MainThreadFuture(d, fn)
    d._submit_future(call, args, _Relay(future, d, fn))  # type: ignore[arg-type]
    return future


def _name(fn: object) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class _FutureDecorator(Protocol):
    def __call__(self, fn: Callable[P, R], /) -> Callable[P, R | concurrent.futures.Future[R]]: ...


class _WaitingDecorator(Protocol):
    def __call__(self, fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def main_thread(
    fn: Callable[P, R], /
) -> Callable[P, R | concurrent.futures.Future[R]]: ...  # pragma: no cover


@overload
def main_thread(
    *, wait: Literal[False] = False, dispatcher: Dispatcher | None = None
) -> _FutureDecorator: ...  # pragma: no cover


@overload
def main_thread(
    *, wait: Literal[True], timeout: float | None = None, dispatcher: Dispatcher | None = None
) -> _WaitingDecorator: ...  # pragma: no cover


@overload
def main_thread(
    *, wait: bool, timeout: float | None = None, dispatcher: Dispatcher | None = None
) -> _FutureDecorator: ...  # pragma: no cover


def main_thread(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    wait: bool = False,
    timeout: float | None = None,
    dispatcher: Dispatcher | None = None,
) -> Any:
    """Make a function run on the main (UI) thread whichever thread calls it.

    Use it bare (``@main_thread``) or with options (``@main_thread(wait=True)``). The
    decorated function may be called from any thread, with its own positional *and*
    keyword arguments (the options are fixed at decoration, so nothing can be mistaken
    for one):

    - On the main thread it runs inline and returns its value (its exception propagates).
    - From another thread, by default it is queued and a
      :class:`concurrent.futures.Future` is returned at once. The Future always settles:
      with the result, the function's exception, :class:`DispatcherClosed` when the
      dispatcher closes first, or :class:`QueueFull` when ``overflow="drop_oldest"`` drops
      it. An exception nobody read from the Future goes to the dispatcher's error
      handler, on the main thread: at once when the caller had already dropped the
      Future (fire and forget), else as soon as the caller lets go of it unread. Reading
      it (``result()`` or ``exception()``, which ``asyncio.wrap_future`` does) means it
      is yours: it is never reported as well.
    - With ``wait=True`` the calling thread blocks until the main thread ran it, gets its
      return value, and has its exception re-raised; ``timeout`` seconds bound the wait.
      A wait that could never end raises at once instead: the dispatcher is closed (or
      closes while waiting) -> :class:`DispatcherClosed`.

    Without ``dispatcher=`` the default dispatcher (:func:`uidispatch.get_dispatcher`) is
    looked up at the first call, not at decoration, and again once it has closed.

    Extra positional arguments are dropped, as a Qt or psygnal signal drops them for a
    plain slot: the function gets the leading ones it accepts (all with ``*args``), read
    from its signature at decoration. Keyword arguments are passed as they are.

    On a method (a function defined in a class body), ``obj.method`` holds ``obj``
    weakly, as a throttled method does: neither a kept ``obj.method`` nor a signal
    connected to it keeps ``obj`` alive, ``obj.method`` is the same object while ``obj``
    lives (psygnal, which holds connected objects weakly, stays connected), and its
    signature has no ``self``. Called once ``obj`` was collected, it does nothing and
    returns None. (Instances without weak reference support get a plain bound method.)

    A ``timeout`` above ``MAX_SECONDS`` (about 31.7 years) means "practically never" and
    waits as without one.

    Raises (at decoration):
        TypeError: ``fn`` is not callable or is a coroutine, generator or async generator
            function (its body would never run), an option has the wrong type, or
            ``dispatcher`` is not a :class:`Dispatcher`.
        ValueError: ``timeout`` is negative or not finite, or is given without ``wait=True``.

    Raises (at call): :class:`DispatcherClosed` (the given dispatcher is closed),
    :class:`TimeoutError` (``wait=True`` and the main thread did not start it within
    ``timeout``; the call is withdrawn), :class:`QueueFull` (``overflow="raise"``), and
    whatever the function raises when it runs inline or with ``wait=True``.
    """
    if fn is not None and not callable(fn):
        raise TypeError(
            f"main_thread takes the function to decorate or keyword options "
            f"(@main_thread(wait=True)), got {fn!r}"
        )
    if not isinstance(wait, bool):
        raise TypeError(f"wait must be True or False, got {wait!r}")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be None or a number of seconds, got {timeout!r}")
        given, timeout = timeout, check_seconds("timeout", timeout, zero_ok=True)
        if not wait:
            raise ValueError(
                f"timeout={given!r} needs wait=True: without it the caller gets a Future "
                "and bounds its own wait with future.result(timeout)"
            )
    lazy = LazyDispatcher(dispatcher)

    def decorate(func: Callable[P, R]) -> Callable[P, Any]:
        return _wrap(func, lazy, wait, timeout)

    if fn is not None:
        return decorate(fn)
    return decorate


def _wrap(
    func: Callable[P, R], lazy: LazyDispatcher, wait: bool, timeout: float | None
) -> Callable[P, Any]:
    """``main_thread``'s wrapper around ``func``: waiting for the result, or posting it."""
    if not callable(func):
        raise TypeError(f"main_thread can only decorate a callable, got {func!r}")
    kind = callable_kind(func)
    if kind is not None:
        raise TypeError(
            f"main_thread can only decorate a plain function, got {kind} {func!r}: "
            f"its body would never run on the main thread; run it on a worker with "
            f"ud.submit(fn), or on an asyncio-based UI loop (asyncio, qasync, Textual) "
            f"call it there and await it"
        )
    # Read once: a call only compares its length (a signal's extra arguments are cut).
    limit = max_positional(func)
    if wait:

        @functools.wraps(func)
        def waiting(*args: P.args, **kwargs: P.kwargs) -> R:
            if len(args) > limit:
                args = args[:limit]  # type: ignore[assignment]
            call = functools.partial(func, **kwargs) if kwargs else func
            # Dispatcher.call runs inline on the main thread and fails fast when closed.
            return lazy.get().call(call, *args, timeout=timeout)

        return as_method(waiting, func)

    @functools.wraps(func)
    def posting(*args: P.args, **kwargs: P.kwargs) -> R | concurrent.futures.Future[R]:
        if len(args) > limit:
            args = args[:limit]  # type: ignore[assignment]
        d = lazy.get()
        if d.is_main_thread():
            if d.closed:
                raise DispatcherClosed(f"{_name(func)}() called on a closed dispatcher")
            return func(*args, **kwargs)
        call = functools.partial(func, **kwargs) if kwargs else func
        return _submit(d, call, args, func)

    return as_method(posting, func, (lazy, limit, _post))


def _post(
    d: Dispatcher, func: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> concurrent.futures.Future[R]:
    """``posting``'s worker path, for the bound methods that inline the rest of it."""
    call = functools.partial(func, **kwargs) if kwargs else func
    return _submit(d, call, args, func)


provide_shortcut("main_thread", main_thread)
