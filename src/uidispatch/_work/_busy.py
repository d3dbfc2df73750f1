"""Busy state a widget can bind to: whether any task (for a key) is pending or running.

A task counts as busy from ``submit`` until its callbacks have run on the main thread, so
a spinner bound with ``on_busy`` stops after ``on_done`` filled the table, never before.
Watchers are told on the main thread, and only of changes: each watcher remembers the
last value it was given and a post that finds the same state again says nothing.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from .._core._options import CALLBACK_WAY_OUT, check_callback, owner_error
from .._core._queue import never_dropped
from .._core._weakcall import weak_callable

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher
    from ._operation_scope import ScopeLink
    from ._task import Task

__all__ = ["BusyHandle", "BusyState", "PoolBusy"]

_KEY = "uidispatch.busy"


class BusyHandle:
    """What :meth:`Pool.on_busy` returns: :meth:`cancel` stops the callbacks."""

    __slots__ = ("__weakref__", "_callback", "_key", "_last", "_owner", "_state")

    def __init__(
        self, state: BusyState, callback: Callable[[bool], object], key: Hashable | None
    ) -> None:
        self._state: BusyState | None = state
        # A bound method is held weakly: a watch must not keep its widget (and a Tk root)
        # alive from the pool, nor close a cycle the collector may free on a worker.
        self._callback: Callable[[], Callable[[bool], object] | None] | None = weak_callable(
            callback, self._gone
        )
        self._key = key
        self._owner: weakref.ref[Any] | None = None
        self._last: bool | None = None

    @property
    def active(self) -> bool:
        """True until :meth:`cancel`, or until the owner (or a bound method's object) is gone."""
        owner = self._owner
        return self._state is not None and (owner is None or owner() is not None)

    def cancel(self) -> None:
        """Stop calling back; a notification already posted is skipped. Any thread; idempotent."""
        state, self._state = self._state, None
        self._callback = self._owner = None  # no handle<->weakref cycle is left behind
        if state is not None:
            state.unwatch(self)

    def _gone(self, _: object) -> None:  # the owner or the callback's object was collected
        self.cancel()

    def __repr__(self) -> str:
        what = "any task" if self._key is None else f"key={self._key!r}"
        return f"<uidispatch.BusyHandle {what} {'active' if self.active else 'cancelled'}>"

    @never_dropped
    def _update(self) -> None:  # main thread
        state = self._state
        if state is None:
            return
        if self._owner is not None and self._owner() is None:
            self.cancel()
            return
        get = self._callback
        callback = get() if get is not None else None
        if callback is None:
            self.cancel()
            return
        busy = state.busy(self._key)
        if busy is self._last:
            return
        self._last = busy
        callback(busy)


class BusyState:
    """A pool's unsettled tasks, counted in all and per key, and the watchers of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._all = 0
        self._keys: dict[Hashable, int] = {}
        self._watchers: list[BusyHandle] = []

    def busy(self, key: Hashable | None = None) -> bool:
        """Any task (for ``key``) between submit and its callbacks having run. Any thread."""
        if key is None:
            return self._all > 0
        return self._keys.get(key, 0) > 0

    def enter(self, key: Hashable | None) -> list[BusyHandle]:
        """A task was submitted; return the watchers to notify (outside the pool's lock)."""
        with self._lock:
            self._all += 1
            changed_all = self._all == 1
            changed_key = False
            if key is not None:
                count = self._keys.get(key, 0) + 1
                self._keys[key] = count
                changed_key = count == 1
            return self._affected(key, changed_all, changed_key)

    def leave(self, key: Hashable | None) -> list[BusyHandle]:
        """A task settled (its callbacks ran); return the watchers to notify."""
        with self._lock:
            self._all -= 1
            changed_all = self._all == 0
            changed_key = False
            if key is not None:
                count = self._keys[key] - 1
                if count:
                    self._keys[key] = count
                else:
                    del self._keys[key]
                    changed_key = True
            return self._affected(key, changed_all, changed_key)

    def _affected(self, key: Hashable | None, all_: bool, keyed: bool) -> list[BusyHandle]:
        if not (all_ or keyed) or not self._watchers:
            return []
        return [
            w
            for w in self._watchers
            if (all_ and w._key is None) or (keyed and w._key is not None and w._key == key)
        ]

    def watch(
        self,
        dispatcher: Dispatcher,
        callback: Callable[[bool], object],
        key: Hashable | None,
        owner: object | None,
    ) -> BusyHandle:
        """Add a watcher; it hears the current state now (inline on the main thread)."""
        handle = BusyHandle(self, callback, key)
        if owner is not None:
            try:
                handle._owner = weakref.ref(owner, handle._gone)
            except TypeError:
                raise owner_error(owner) from None
        with self._lock:
            self._watchers.append(handle)
        if dispatcher.is_main_thread():
            handle._update()
        else:
            self.notify(dispatcher, [handle])
        return handle

    def unwatch(self, handle: BusyHandle) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._watchers.remove(handle)

    def notify(self, dispatcher: Dispatcher | None, handles: list[BusyHandle]) -> None:
        """Post each handle's update to the main thread (coalesced per handle)."""
        if dispatcher is None:
            return
        for handle in handles:
            ref = handle._owner
            owner = ref() if ref is not None else None
            if ref is not None and owner is None:
                continue  # gone: its watch ends
            try:
                # With the owner, the dispatcher skips a destroyed widget (backend.is_alive).
                dispatcher.call_soon(handle._update, key=(_KEY, id(handle)), owner=owner)
            except Exception:  # closed: nobody is left to show a spinner to
                return


class PoolBusy:
    """:class:`~uidispatch.Pool`'s busy-state methods (a mixin: one concept per module)."""

    _busy: BusyState
    _dispatcher: Dispatcher | None

    def _get_dispatcher(self) -> Dispatcher:
        raise NotImplementedError

    def busy(self, key: Hashable | None = None) -> bool:
        """True while any task (with ``key``, if given) is pending or running. Any thread.

        A task counts from :meth:`submit` until its callbacks have run on the main
        thread, so a widget re-enabled when this turns false sees the results in place.
        """
        return self._busy.busy(key)

    def on_busy(
        self,
        callback: Callable[[bool], object],
        key: Hashable | None = None,
        owner: object | None = None,
    ) -> BusyHandle:
        """Call ``callback(busy)`` on the main thread now and whenever :meth:`busy` changes.

        The first call reports the current state (inline when called on the main
        thread); later calls come on each idle/busy transition, never twice in a row
        with the same value (a flicker shorter than one UI turn is not reported).
        ``owner`` (held weakly) ends the watch when it is gone; ``handle.cancel()``
        ends it explicitly. Any thread. A spinner is one line:
        ``pool.on_busy(spinner.set_visible, owner=spinner)``.

        Raises:
            TypeError: ``callback`` is not callable, ``owner`` cannot be weakly
                referenced or ``key`` is unhashable.
            NoBackendDetected: no dispatcher can be found for the callbacks.

        """
        check_callback("callback", callback, CALLBACK_WAY_OUT)
        if key is not None:
            try:
                hash(key)
            except TypeError:
                raise TypeError(f"key must be hashable, got {key!r}") from None
        return self._busy.watch(self._get_dispatcher(), callback, key, owner)

    def _task_settled(self, task: Task[Any], watched: bool) -> None:
        """Called by a task once its callbacks are posted: it stops counting as busy after."""
        d = self._dispatcher
        if watched and d is not None and not d.closed:
            # Same lane, FIFO: this runs after the task's callbacks.
            try:
                d.call_soon(self._settle, task.key, task._scope, priority=task.priority)
                return
            except Exception:  # closed meanwhile: nothing left to wait for
                pass
        self._settle(task.key, task._scope)

    @never_dropped
    def _settle(self, key: Hashable | None, scope: ScopeLink | None = None) -> None:
        changed = self._busy.leave(key)
        if scope is not None:  # an operation's task: its own busy state settles too
            changed = changed + scope.settled()
        if changed:
            self._busy.notify(self._dispatcher, changed)
