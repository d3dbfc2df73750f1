"""``aio.start``, ``@aio.handler`` and ``aio.modal``: starting coroutines on the UI thread."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from .._core._dispatcher import Dispatcher
from .._core._errors import DispatcherClosed
from .._core._registry import get_dispatcher
from ._aio_host import Host
from ._aio_run import Run, active_runs

__all__ = ["LIBS", "current_run", "handler", "modal", "start"]

P = ParamSpec("P")
T = TypeVar("T")

LIBS = ("asyncio", "trio")
"""The async libraries a run can use."""


def _check_lib(lib: object) -> str:
    if not isinstance(lib, str) or lib not in LIBS:
        raise ValueError(f"lib must be 'asyncio' or 'trio', got {lib!r}")
    return lib


def start(
    main: Callable[..., Awaitable[Any]],
    /,
    *args: Any,
    lib: str = "asyncio",
    dispatcher: Dispatcher | None = None,
) -> Run:
    """Start ``main(*args)`` on the UI thread, as a guest of the toolkit's loop; return the run.

    Call it on the UI thread, before the toolkit's main loop or from a callback; the
    coroutine steps run there whenever the toolkit's loop runs. With ``lib="asyncio"``
    coroutines see a running asyncio loop; with ``lib="trio"`` they run under trio.
    ``dispatcher`` defaults to ``uidispatch.get_dispatcher()``.

    Raises:
        ValueError: ``lib`` is not ``"asyncio"`` or ``"trio"``.
        TypeError: ``main`` is not an async function, or ``dispatcher`` not a Dispatcher.
        ImportError: ``lib="trio"`` and trio is not installed (``uidispatch[trio]``).
        RuntimeError: called off the UI thread, or (asyncio) on an unchecked Python.
        DispatcherClosed: the dispatcher is closed.

    """
    lib = _check_lib(lib)
    if not callable(main):
        raise TypeError(f"main must be an async function, got {main!r}")
    if dispatcher is None:
        dispatcher = get_dispatcher()
    elif not isinstance(dispatcher, Dispatcher):
        raise TypeError(f"dispatcher must be a uidispatch.Dispatcher, got {dispatcher!r}")
    if dispatcher.closed:
        raise DispatcherClosed(f"aio.start() on a closed dispatcher {dispatcher!r}")
    if not dispatcher.is_main_thread():
        raise RuntimeError(
            "aio.start() runs main on the UI thread: call it there (before the main loop, or "
            "from a callback), or post it with dispatcher.call_soon(aio.start, main)"
        )
    if lib == "trio":
        from ._aio_trio import TrioRun

        return TrioRun(dispatcher, Host(dispatcher, reentrant=False), main, args)

    from ._aio_asyncio import AsyncioRun
    from ._aio_loop import check_version

    check_version()
    coro = main(*args)
    if not asyncio.iscoroutine(coro):
        raise TypeError(
            f"main must be an async function (async def), got {main!r}, which returned {coro!r}"
        )
    try:
        return AsyncioRun(dispatcher, Host(dispatcher), coro)
    except BaseException:
        coro.close()  # never "coroutine was never awaited"
        raise


def current_run() -> Run:
    """The run a handler's coroutine joins: the one whose loop runs now, else the newest.

    Raises:
        RuntimeError: no run is active (none started, or all have ended).

    """
    runs = [run for run in active_runs() if run.accepting]
    loop = asyncio.events._get_running_loop()
    if loop is not None:
        for run in reversed(runs):
            if getattr(run, "loop", None) is loop:
                return run
    if runs:
        return runs[-1]
    raise RuntimeError(
        "no uidispatch.aio run is active: start one with aio.start(main) or "
        "aio.run_app(main) before an @aio.handler coroutine is called"
    )


def handler(fn: Callable[P, Awaitable[Any]]) -> Callable[P, None]:
    """Turn an ``async def`` into a plain callback for widgets, signals and bindings.

    Each call starts ``fn(*args)`` as a task of the current run (see ``aio.start``) and
    returns ``None`` at once. The coroutine's exception goes to the dispatcher's error
    handler and is counted in ``stats().errors``, like a callback's. A handler called
    from a worker thread starts its task on the UI thread.

    Raises:
        TypeError: ``fn`` is not an ``async def`` function (at decoration).
        RuntimeError: when called while no run is active; the message names
            ``aio.start`` and ``aio.run_app``.

    """
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(
            f"@aio.handler needs an async def function, got {fn!r}: a plain function can be "
            "connected as it is"
        )

    @functools.wraps(fn)
    def callback(*args: P.args, **kwargs: P.kwargs) -> None:
        if kwargs:
            fn_kw = functools.partial(fn, **kwargs)
            current_run().spawn(fn_kw, args)
        else:
            current_run().spawn(fn, args)

    return callback


async def modal(fn: Callable[..., T], /, *args: Any) -> T:
    """Run a blocking modal call (``dialog.exec()``, ``messagebox.askyesno(...)``) and await it.

    The call is made from the UI loop, outside the async loop's step, so the other
    coroutines of the run keep running while the dialog is open (a modal call made
    straight from a trio coroutine would hold trio until it closes). Returns what ``fn``
    returned, or raises what it raised. Inside a run only.

    Raises:
        TypeError: ``fn`` is not callable.
        RuntimeError: no run is active.

    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {fn!r}")
    run = current_run()
    if run.lib == "trio":
        from ._aio_trio import import_trio

        return await _modal_trio(import_trio(), run, fn, args)
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def call() -> None:
        if future.done():  # the awaiting coroutine was cancelled before the dialog opened
            return
        try:
            value = fn(*args)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(value)

    _post_outside(run, call)
    return await future


async def _modal_trio(trio: Any, run: Run, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    token = trio.lowlevel.current_trio_token()
    event = trio.Event()
    box: list[tuple[Any, BaseException | None]] = []

    def call() -> None:
        try:
            box.append((fn(*args), None))
        except Exception as exc:
            box.append((None, exc))
        with contextlib.suppress(trio.RunFinishedError):
            token.run_sync_soon(event.set)

    _post_outside(run, call)
    await event.wait()
    value, exc = box[0]
    if exc is not None:
        raise exc
    return value  # type: ignore[no-any-return]


def _post_outside(run: Run, fn: Callable[[], None]) -> None:
    # Straight to the dispatcher, not through the run's host: the modal's nested loop
    # must find no step of the run on the stack, or trio's would be held back.
    try:
        run.dispatcher.call_soon(fn)
    except DispatcherClosed:
        run._host.post(fn)
