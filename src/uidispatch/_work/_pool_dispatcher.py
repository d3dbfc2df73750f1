"""Which dispatcher a pool's task callbacks go to: the one given, or the app's, when needed.

A :class:`~uidispatch.Dispatcher` given to the pool is its for good (once closed, it
refuses the callbacks). A backend name, or nothing, means the app's dispatcher, looked up
when a callback first needs one (detection sees the app only from its main thread) and
again after that app closed: a pool outlives the windows it served. Neither a pool nor the
tasks that keep it keep a closed dispatcher alive.
"""

from __future__ import annotations

import contextlib
import weakref

from .._core._dispatcher import Dispatcher, DispatchStats
from .._core._errors import DispatcherClosed, NoBackendDetected
from .._core._registry import get_dispatcher

__all__ = ["PoolDispatcher"]


class PoolDispatcher:
    """:class:`~uidispatch.Pool`'s dispatcher binding (a mixin: one concept per module)."""

    _dispatcher: Dispatcher | None
    _dispatcher_fixed: bool  # given as a Dispatcher: never looked up
    _had_dispatcher: bool  # ever bound: a lookup that fails now means the app ended
    _closed_stats: DispatchStats | None = None  # of the last one, once it closed
    _backend_name: str | None

    def _bind_dispatcher(self, dispatcher: Dispatcher | str | None) -> None:
        """Start from ``Pool(dispatcher=...)``, of a type the caller checked."""
        self._dispatcher = dispatcher if isinstance(dispatcher, Dispatcher) else None
        self._dispatcher_fixed = isinstance(dispatcher, Dispatcher)
        self._had_dispatcher = False
        self._backend_name = dispatcher if isinstance(dispatcher, str) else None
        if isinstance(dispatcher, Dispatcher):
            _forget_when_closed(self, dispatcher)

    def _get_dispatcher(self) -> Dispatcher:
        d = self._dispatcher
        if d is not None and (self._dispatcher_fixed or not d.closed):
            return d
        if self._dispatcher_fixed:
            raise DispatcherClosed(f"{self!r}: its dispatcher= was closed")
        try:
            d = self._dispatcher = get_dispatcher(self._backend_name)
            _forget_when_closed(self, d)
        except NoBackendDetected:
            if d is None and not self._had_dispatcher:
                raise  # never had an app: the caller learns why
            # The app this pool delivered to ended and none replaced it: its tasks'
            # callbacks are dropped like those posted to the closed dispatcher.
            raise DispatcherClosed(
                f"{d!r} closed with its app and no other app is running"
            ) from None
        return d

    def _try_dispatcher(self) -> None:
        # Bind while on the caller's (usually the main) thread, where detection sees the
        # app; if nothing is there yet, delivery tries again when it needs one.
        d = self._dispatcher
        if d is None or (d.closed and not self._dispatcher_fixed):
            with contextlib.suppress(Exception):
                self._get_dispatcher()


def _forget_when_closed(pool: PoolDispatcher, d: Dispatcher) -> None:
    """Drop the pool's reference to ``d`` when it closes.

    A pool, and every task that keeps its pool, must not keep a closed dispatcher alive.
    """
    pool._had_dispatcher = True  # forgetting it below must not read as "never had one"
    ref = weakref.ref(pool)

    def forget(closing: Dispatcher) -> None:
        p = ref()
        if p is not None and p._dispatcher is closing:
            p._dispatcher = None
            # What it did, for pool.report() once the app ended (the figures, not it).
            p._closed_stats = closing.stats()

    d._on_close.append(forget)
