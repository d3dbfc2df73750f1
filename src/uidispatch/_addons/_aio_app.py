"""``aio.run_app``: start a run, run the toolkit's main loop, end both together.

With a backend that offers the optional :class:`~uidispatch.backendkit.AppWindow` capability the
user's request to close the window cancels ``main`` (the close is vetoed), and the window
is closed once ``main`` finished, whichever way it finished; the toolkit's own main loop
(``root.mainloop()``, ``app.exec()``) runs meanwhile. Other backends run the loop their
``BackendSpec.run_loop`` describes until the run is done, and a closed window ends the run
through the dispatcher closing. Ctrl-C cancels ``main`` and ``run_app`` raises
``KeyboardInterrupt``, unless the app set a SIGINT handler of its own.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from .._core._options import MAX_SECONDS
from .._core._protocol import AppWindow
from .._core._registry import backends, get_dispatcher
from ._aio_asyncio import AsyncioRun
from ._aio_run import CLOSE_TIMEOUT, Run
from ._aio_start import _check_lib, start

__all__ = ["run_app"]


def run_app(
    main: Callable[..., Awaitable[Any]], /, *args: Any, lib: str = "asyncio", app: object = None
) -> Any:
    """Run ``main(*args)`` on the UI thread while the toolkit's main loop runs; return its value.

    ``app`` picks the toolkit's app object as ``get_dispatcher(app=...)`` does (default:
    the current one, such as Tk's default root). Closing the window cancels ``main``; the
    window closes once ``main`` has finished, and ``run_app`` returns ``None``. When
    ``main`` returns or raises, the window closes too. Call it on the UI thread, where the
    app would call ``root.mainloop()`` or ``app.exec()``.

    Returns:
        ``main``'s value; ``None`` when a close request cancelled it.

    Raises:
        BaseException: what ``main`` raised, ``KeyboardInterrupt`` included.
        KeyboardInterrupt: Ctrl-C (it cancels ``main`` first).
        ValueError, TypeError, ImportError, RuntimeError: as ``aio.start`` does.

    """
    lib = _check_lib(lib)
    d = get_dispatcher(app=app)
    if not d.is_main_thread():
        raise RuntimeError("aio.run_app() runs the toolkit's main loop: call it on the UI thread")
    sigint = _SigInt()
    if lib == "trio":
        sigint.install()  # before trio starts, so trio leaves SIGINT to us
    try:
        run = start(main, *args, lib=lib, dispatcher=d)
    except BaseException:
        sigint.restore()
        raise
    sigint.run = run
    if isinstance(run, AsyncioRun):
        sigint.install_on(run)
    try:
        _drive(run)
    finally:
        sigint.restore()
    if run.interrupted:
        raise KeyboardInterrupt
    if not run.done:
        raise RuntimeError(
            f"main did not finish within {CLOSE_TIMEOUT} s of the app ending; it was cancelled"
        )
    if run.cancelled:
        return None
    return run.result()


def _drive(run: Run) -> None:
    d = run.dispatcher
    backend = d.backend
    window = backend if isinstance(backend, AppWindow) else None
    run.driven = True
    try:
        if window is not None:

            def close_requested() -> bool:
                if run.done:
                    return True
                run.cancel()
                return False  # the window closes once main has finished

            window.on_close_requested(close_requested)
            run._on_finished(lambda _: window.close_app())
        try:
            if window is not None:
                window.run_main_loop()
            else:
                info = backends().get(backend.name)
                if info is None or info.run_loop is None:
                    raise RuntimeError(
                        f"aio.run_app() cannot run the {backend.name!r} backend's main loop "
                        "(its BackendSpec has no run_loop): use aio.start() and run the loop"
                    )
                info.run_loop(backend, lambda: run.done, MAX_SECONDS)
        except KeyboardInterrupt:
            run.interrupt()  # Ctrl-C reached the toolkit's loop itself
        finally:
            if window is not None:
                window.on_close_requested(None)
    finally:
        run.driven = False
        if not run.done:
            run.cancel()  # the loop ended first (the window was destroyed)
            run.wait(CLOSE_TIMEOUT)


class _SigInt:
    """Ctrl-C cancels the run, when the app left SIGINT to Python's default handler."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self._installed = False

    def _usable(self) -> bool:
        return (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        )

    def install(self) -> None:
        """A Python-level handler (trio: its guest run wakes us through its wakeup fd)."""
        if self._usable():
            signal.signal(signal.SIGINT, self._handle)
            self._installed = True

    def install_on(self, run: AsyncioRun) -> None:
        """Use asyncio's own signal handling (the loop's self-pipe); the loop's close removes it."""
        if self._usable():
            run.add_signal_handler(signal.SIGINT, run.interrupt)

    def _handle(self, signum: int, frame: object) -> None:
        run = self.run
        if run is not None:
            run.interrupt()

    def restore(self) -> None:
        if self._installed:
            self._installed = False
            signal.signal(signal.SIGINT, signal.default_int_handler)
