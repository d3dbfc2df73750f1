"""Operations: a function's policies defined once, then called from any event.

ember-concurrency's tasks for a UI thread: ``@pool.operation(if_running="restart")``
fixes how the function runs (``Pool.submit``'s policies, ``_operation_policy``), and every
handler that starts it writes only what is its own, ``search.submit(text,
on_done=show)``. The operation is the concurrency scope and keeps the state a widget binds
to: ``busy``, ``on_busy``, ``last``, ``last_succeeded``, ``count`` (``_operation_submit``
and ``_operation_scope``).

On a class it is a descriptor, as ``throttle`` is: each instance gets its own operation
(``window.load``: its own scope, busy state and latest tasks), which holds the instance
weakly, so neither a kept ``window.load`` nor a signal connected to it keeps the window
alive.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast, overload

from .._core._priority import Priority
from .._services._breaker import CircuitBreaker
from .._services._ratelimit import RateLimiter
from .._timing._bound import Binder, WeakMethod
from .._timing._signature import max_positional
from ._names import task_name
from ._operation_policy import Policy, make_policy
from ._operation_scope import OperationScope
from ._operation_submit import OperationBase
from ._submit import submit_task

if TYPE_CHECKING:
    from ._pool import Pool
    from ._task import Task

__all__ = ["BoundOperation", "Operation", "PoolOperations", "operation_decorator"]

F = TypeVar("F", bound=Callable[..., Any], covariant=True)
P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S")

_NORMAL = Priority.NORMAL


class Operation(OperationBase[F]):
    """A function whose runs on a pool share one policy and one state; see :meth:`Pool.operation`.

    Made by ``@pool.operation(...)`` or ``@ud.operation(...)``. ``op.submit(*args,
    on_done=...)`` runs it on the pool under the policies; ``op(*args)`` is still a plain
    call of the function, on the calling thread. ``busy``, ``on_busy``, ``last``,
    ``last_succeeded``, ``count``, ``cancel_all()`` and ``stats`` describe its calls.
    On a class each instance has its own (:class:`BoundOperation`). Any thread.
    """

    # Copied from the function by functools.update_wrapper.
    __wrapped__: Callable[..., Any]
    __name__: str
    __qualname__: str

    def __init__(self, fn: Callable[..., Any], policy: Policy, pool_of: Callable[[], Pool]):
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._policy = policy
        self._name = policy.name
        self._pool_of = pool_of
        self._scope = OperationScope(policy.name)
        self._max_args = max_positional(fn)  # a signal's extra arguments are dropped
        self._owner: type | None = None
        self._instances: Binder[BoundOperation[Any]] = Binder("operation")  # per instance

    def __set_name__(self, owner: type, name: str) -> None:
        self._owner = owner

    if not TYPE_CHECKING:

        def __call__(self, *args, **kwargs):
            """Call the function now, on this thread, as if it were not decorated."""
            return self._fn(*args[: self._max_args], **kwargs)

    def _pool(self) -> Pool:
        return self._pool_of()

    def _submit(self, args: tuple[Any, ...], per_call: dict[str, Any]) -> Task[Any]:
        owner = self._owner
        if owner is not None and args and isinstance(args[0], owner):
            # Through the class (Base.load.submit(self, path)): still per instance.
            return self._bind(args[0])._submit(args[1:], per_call)
        args = args[: self._max_args]
        return _run(self, self._scope, args, args, per_call)

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Operation[F]: ...
    @overload
    def __get__(
        self: Operation[Callable[Concatenate[S, P], T]], instance: S, owner: type | None = None
    ) -> BoundOperation[Callable[P, T]]: ...

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        bound = self._instances._items.get(id(instance))  # Binder.get's fast path, inline
        if bound is not None and bound._ref() is instance:
            return bound
        return self._bind(instance)

    def _bind(self, instance: object) -> BoundOperation[Any]:
        """``instance``'s own operation, made at its first use; gone with the instance."""
        return self._instances.get(instance, lambda ref: BoundOperation(self, ref))

    def __repr__(self) -> str:
        return f"<operation {self._name} {_describe(self._policy)}>"


class BoundOperation(WeakMethod, OperationBase[F]):
    """An operation on a method, bound to one instance (``window.load``).

    Its own scope, busy state, ``last``, ``last_succeeded`` and ``count``, for this
    instance only; see :class:`Operation`. It holds the instance weakly (``__self__``
    is ``None`` once it is collected; then ``submit`` and calls raise
    ``ReferenceError``), and ``window.load`` is the same object while ``window`` lives.
    ``stats`` is shared by every instance (one name). Its signature has no ``self``.
    """

    def __init__(self, op: Operation[Any], ref: weakref.ref[Any]) -> None:
        self._op = op
        self._ref = ref
        self._name = op._name
        self._scope = OperationScope(op._name)
        self._max_args = max(op._max_args - 1, 0)  # the arguments after ``self``

    if not TYPE_CHECKING:

        def __call__(self, *args, **kwargs):
            """Call the method now, on this thread, as if it were not decorated."""
            return self._op._fn(self._instance(), *args[: self._max_args], **kwargs)

    def _pool(self) -> Pool:
        return self._op._pool_of()

    def _submit(self, args: tuple[Any, ...], per_call: dict[str, Any]) -> Task[Any]:
        args = args[: self._max_args]
        return _run(self._op, self._scope, (self._instance(), *args), args, per_call)

    def _instance(self) -> Any:
        instance = self._ref()
        if instance is None:
            raise ReferenceError(f"operation {self._name}: its instance was collected")
        return instance

    def _method_function(self) -> Callable[..., Any]:
        return self._op._fn

    def __repr__(self) -> str:
        return f"<bound operation {self._name} of {self._of()} {_describe(self._op._policy)}>"


def _run(
    op: Operation[Any],
    scope: OperationScope,
    args: tuple[Any, ...],
    key_args: tuple[Any, ...],
    per_call: dict[str, Any],
) -> Task[Any]:
    """Submit one call: the policy's options and this call's, in ``scope``."""
    policy, link = op._policy, scope.link
    options = policy.options(policy.pool_key(link, key_args), per_call, link)
    task = submit_task(op._pool_of(), op._fn, args, options)
    scope.called(task)
    return task


def _describe(policy: Policy) -> str:
    if policy.if_running is None:
        return "(every call runs)"
    return f"if_running={policy.if_running!r}" + (" per key" if policy.key else "")


def operation_decorator(
    pool_of: Callable[[], Pool], name: str | None, **given: Any
) -> Callable[[Callable[P, T]], Operation[Callable[P, T]]]:
    """The decorator ``Pool.operation`` and ``ud.operation`` return: see there."""

    def decorate(fn: Callable[P, T]) -> Operation[Callable[P, T]]:
        policy = make_policy(fn, task_name(fn) if name is None else name, **given)
        return Operation(fn, policy, pool_of)

    return decorate


class PoolOperations:
    """:class:`~uidispatch.Pool`'s ``operation`` decorator (a mixin: one concept per module)."""

    def operation(
        self,
        *,
        if_running: str | None = None,
        key: Callable[..., Hashable] | None = None,
        ttl: float | None = None,
        retries: int = 0,
        backoff: float = 0.1,
        retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
        timeout: float | None = None,
        attempt_timeout: float | None = None,
        rate_limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        priority: Priority = _NORMAL,
        name: str | None = None,
    ) -> Callable[[Callable[P, T]], Operation[Callable[P, T]]]:
        """Decorator: define how a function runs on this pool once, call it from any event.

        ``search.submit(*args, on_done=..., ...)`` then runs ``search(*args)`` on the pool
        with the policies given here, which are :meth:`submit`'s, fixed: each call passes
        only its own options (``on_done``, ``on_error``, ``on_progress``, ``owner``,
        ``metadata``, ``on_item``, ``max_buffered``); passing a policy raises
        ``TypeError``. ``search(*args)`` is still a plain call of the function. On a
        class, each instance gets its own operation, holding the instance weakly.

        The operation is the concurrency scope: ``if_running`` applies across all its
        calls (one search at a time, whoever starts it), never to the pool's other
        work or another operation. ``key`` narrows it: a function of the call's
        arguments (for a method, without ``self``) whose value is the key, as
        ``key=lambda row: row.id`` runs one refresh per row. Without ``if_running`` or
        ``key`` every call runs; with ``key`` or ``ttl`` alone a call joins the one
        under way (``"join"``, as :meth:`submit` with ``key=``).

        ``busy`` / ``on_busy`` report its own tasks (a widget binds to them), ``last``
        the task of the latest call, ``last_succeeded`` the latest to end ``DONE``,
        ``count`` the calls, ``cancel_all()`` cancels its tasks and ``stats`` is its
        row of ``stats().operations``: its tasks are named ``name``, by default the
        function's qualified name (a lambda's is ``<lambda> at BASENAME.py:LINE``), as
        :meth:`report` shows them.

        ``ttl``, ``retries``, ``backoff``, ``retry_on``, ``timeout``,
        ``attempt_timeout``, ``rate_limiter``, ``breaker`` and ``priority`` are
        :meth:`submit`'s, applied to every call.

        Args:
            if_running: ``"join"``, ``"drop"``, ``"restart"``, ``"enqueue"`` or
                ``"keep_latest"``: see :meth:`submit`.
            key: a function of the call's arguments returning a hashable key.
            name: the tasks' and the operation's name.

        Raises:
            TypeError: ``key`` is not callable, the decorated object is not callable, or
                an option of the wrong type (at decoration).
            ValueError: a bad option value, as :meth:`submit` raises it (at decoration).

        """
        pool = cast("Pool", self)
        return operation_decorator(
            lambda: pool, name, if_running=if_running, key=key, ttl=ttl, retries=retries,
            backoff=backoff, retry_on=retry_on, timeout=timeout,
            attempt_timeout=attempt_timeout, rate_limiter=rate_limiter, breaker=breaker,
            priority=priority,
        )  # fmt: skip
