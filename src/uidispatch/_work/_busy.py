"""Busy state a widget can bind to: whether any task (for a key) is pending or running.

A task counts as busy from ``submit`` until its callbacks have run on the main thread, so
a spinner bound with ``on_busy`` stops after ``on_done`` filled the table, never before.
Watchers are told on the main thread, and only of changes: each watcher remembers the
last value it was given and a post that finds the same state again says nothing. Every
pool's state feeds one for the whole process (``ud.on_busy``), busy while any pool is.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from .._core._dispatcher import Dispatcher
from .._core._fork import in_child
from .._core._options import CALLBACK_WAY_OUT, check_callback, owner_error
from .._core._queue import never_dropped
from .._core._registry import get_dispatcher
from .._core._weakcall import weak_callable

if TYPE_CHECKING:
    from ._operation_scope import ScopeLink
    from ._task import Task

__all__ = ["PROCESS", "BusyHandle", "BusyState", "PoolBusy", "on_busy"]

_KEY = "uidispatch.busy"


class BusyHandle:
    """What :meth:`Pool.on_busy` returns: :meth:`cancel` stops the callbacks."""

    __slots__ = ("__weakref__", "_callback", "_key", "_last", "_owner", "_state", "_via")

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
        # Its own dispatcher (held weakly) for a watch of every pool (``on_busy``);
        # ``None``: it is told through the dispatcher of the pool it watches.
        self._via: weakref.ref[Dispatcher] | None = None

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
        if self._via is not None:
            what = "any task of any pool"
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
    """A pool's unsettled tasks, counted in all and per key, and the watchers of them.

    With a ``parent`` (the process's :data:`PROCESS`), this state going busy or idle
    counts there as one busy pool more or less: the process is busy while any is.
    """

    def __init__(self, parent: BusyState | None = None) -> None:
        self._lock = threading.Lock()
        self._all = 0
        self._keys: dict[Hashable, int] = {}
        self._watchers: list[BusyHandle] = []
        self._parent = parent

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
            affected = self._affected(key, changed_all, changed_key)
            # Under this lock: the parent's count follows this state's transitions in order.
            if changed_all and self._parent is not None:
                affected += self._parent.enter(None)
            return affected

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
            affected = self._affected(key, changed_all, changed_key)
            if changed_all and self._parent is not None:
                affected += self._parent.leave(None)
            return affected

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
        *,
        own_dispatcher: bool = False,
    ) -> BusyHandle:
        """Add a watcher; it hears the current state now (inline on the main thread).

        ``own_dispatcher``: it is always told through ``dispatcher`` (a watch of the
        process, whose pools each have their own), not through the notifier's.
        """
        handle = BusyHandle(self, callback, key)
        if own_dispatcher:
            handle._via = weakref.ref(dispatcher)
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
        for handle in handles:
            via = handle._via
            d = dispatcher if via is None else via()
            if d is None:
                continue
            ref = handle._owner
            owner = ref() if ref is not None else None
            if ref is not None and owner is None:
                continue  # gone: its watch ends
            try:
                # With the owner, the dispatcher skips a destroyed widget (backend.is_alive).
                d.call_soon(handle._update, key=(_KEY, id(handle)), owner=owner)
            except Exception:  # closed: nobody is left to show a spinner to
                continue


PROCESS = BusyState()
"""Every pool of the process: busy while any pool is (each pool's state is its child)."""


def on_busy(
    callback: Callable[[bool], object],
    owner: object | None = None,
    *,
    dispatcher: Dispatcher | None = None,
) -> BusyHandle:
    """Call ``callback(busy)`` on the main thread now and whenever the process's busy state changes.

    The process is busy while any task of any :class:`~uidispatch.Pool` (the default
    pool and pools created later included) is pending or running, each counted from its
    submit until its callbacks have run, as :meth:`Pool.on_busy
    <uidispatch.Pool.on_busy>` counts one pool's. The first call reports the current
    state (inline on the main thread); later ones come on each idle/busy transition,
    never twice in a row with the same value. ``owner`` (held weakly) ends the watch
    when it is gone; ``handle.cancel()`` ends it. ``dispatcher`` (default: the default
    dispatcher, looked up now) delivers the calls. Any thread. An app-wide spinner:
    ``ud.on_busy(spinner.set_visible, owner=spinner)``.

    Raises:
        TypeError: ``callback`` is not a plain callable, ``owner`` cannot be weakly
            referenced, or ``dispatcher`` is not a :class:`~uidispatch.Dispatcher`.
        NoBackendDetected: no ``dispatcher`` given and none can be found.

    """
    check_callback("callback", callback, CALLBACK_WAY_OUT)
    if dispatcher is None:
        dispatcher = get_dispatcher()
    elif not isinstance(dispatcher, Dispatcher):
        raise TypeError(f"dispatcher must be a Dispatcher or None, got {dispatcher!r}")
    return PROCESS.watch(dispatcher, callback, None, owner, own_dispatcher=True)


def _after_fork_in_child() -> None:
    # The parent's pools and watchers: none of them live here (its pools start again
    # from an idle state of their own, see _pool_process).
    PROCESS._lock = threading.Lock()
    PROCESS._all = 0
    PROCESS._watchers = []


in_child(_after_fork_in_child)


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
