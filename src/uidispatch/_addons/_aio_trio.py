"""An ``aio`` run on trio: trio's guest mode, hosted by the dispatcher.

``trio.lowlevel.start_guest_run`` asks its host for one thread-safe "run this soon"
function: :meth:`~._aio_host.Host.post` is it. ``main`` runs inside a cancel scope of
ours (so ``cancel()`` cancels ``main`` alone) within a nursery that also holds the
coroutines ``@aio.handler`` starts; when ``main`` ends the nursery is cancelled and the
guest run finishes, and its ``done_callback`` ends the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._aio_run import Run

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher
    from ._aio_host import Host

__all__ = ["TrioRun", "import_trio"]


def import_trio() -> Any:
    """``import trio``, or an ImportError that names the extra to install."""
    try:
        import trio
    except ImportError as exc:
        raise ImportError(
            "lib='trio' needs trio, which is not installed: pip install 'uidispatch[trio]'"
        ) from exc
    return trio


class TrioRun(Run):
    """A run whose ``main`` runs in a trio guest run on the UI thread."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        host: Host,
        main: Callable[..., Any],
        args: tuple[Any, ...],
    ) -> None:
        trio = import_trio()
        self._trio = trio
        self._main_fn = main
        self._args = args
        self._token: Any = None
        self._scope: Any = None
        self._nursery: Any = None
        self._spawns: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._outcome: tuple[Any, BaseException | None, bool] = (None, None, True)
        super().__init__(dispatcher, host, "trio")
        trio.lowlevel.start_guest_run(
            self._root,
            run_sync_soon_threadsafe=host.post,
            done_callback=self._guest_done,
            host_uses_signal_set_wakeup_fd=False,
        )

    async def _root(self) -> None:
        trio = self._trio
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            # Set only now: a spawn through the token finds the nursery open.
            self._token = trio.lowlevel.current_trio_token()
            spawns, self._spawns = self._spawns, []
            for fn, args in spawns:
                nursery.start_soon(self._guarded, fn, args)
            with trio.CancelScope() as scope:
                self._scope = scope
                if self._cancel_requested:
                    scope.cancel()
                try:
                    value = await self._main_fn(*self._args)
                except (Exception, KeyboardInterrupt, SystemExit) as exc:
                    self._outcome = (None, exc, False)
                else:
                    self._outcome = (value, None, False)
            if scope.cancelled_caught:
                self._outcome = (None, None, True)
            self._ending = True
            nursery.cancel_scope.cancel()  # main ended: so do the handlers' coroutines

    async def _guarded(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            await fn(*args)
        except Exception as exc:
            self._d.report_error(exc, fn)

    def _guest_done(self, outcome: Any) -> None:
        # The guest run's own failure (a handler raised KeyboardInterrupt, trio failed)
        # wins over main's outcome: it is what ended the run.
        error = getattr(outcome, "error", None)
        if error is not None:
            self._finish(None, error, False)
        else:
            self._finish(*self._outcome)

    def _request_cancel(self) -> None:
        token = self._token
        if token is None:  # not started yet: _root sees the flag
            return
        with contextlib.suppress(self._trio.RunFinishedError):
            token.run_sync_soon(self._cancel_main)

    def _cancel_main(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    def spawn(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """Start ``fn(*args)`` in the run's nursery; its exception goes to the error handler."""
        token = self._token
        if token is None:
            self._spawns.append((fn, args))
            return

        def start() -> None:
            nursery = self._nursery
            if nursery is not None and not nursery.cancel_scope.cancel_called:
                nursery.start_soon(self._guarded, fn, args)

        with contextlib.suppress(self._trio.RunFinishedError):
            token.run_sync_soon(start)

    @property
    def token(self) -> Any:
        """The run's ``trio.lowlevel.TrioToken`` once it started, else ``None``."""
        return self._token
