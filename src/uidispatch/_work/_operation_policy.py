"""An operation's policies: ``Pool.submit``'s, given once at decoration and checked there.

``@pool.operation(...)`` fixes what ``Pool.submit`` otherwise takes per call: per-key
concurrency (``if_running``, ``key``, ``ttl``), retries (``retries``, ``backoff``,
``retry_on``), deadlines (``timeout``, ``attempt_timeout``), services (``rate_limiter``,
``breaker``), ``priority`` and ``name``. Each call then passes only what belongs to it
(callbacks, ``owner``, ``metadata``, streaming); passing a policy raises ``TypeError``.

The operation is the concurrency scope: its pool key is ``(operation, key(*args))``, or
the operation alone without ``key=``, so two operations never share a key and
``if_running`` applies across all of one operation's calls.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from .._core._priority import Priority
from .._services._breaker import CircuitBreaker
from .._services._ratelimit import RateLimiter
from ._names import task_name
from ._submit_options import SubmitOptions, check_options

__all__ = ["FIXED", "PER_CALL", "Policy", "make_policy", "refuse_options"]

FIXED = (
    "if_running",
    "key",
    "ttl",
    "retries",
    "backoff",
    "retry_on",
    "timeout",
    "attempt_timeout",
    "rate_limiter",
    "breaker",
    "priority",
    "name",
)
"""``Pool.submit``'s options an operation fixes at decoration."""

PER_CALL = (
    "on_done",
    "on_error",
    "on_progress",
    "owner",
    "metadata",
    "on_item",
    "max_buffered",
    "on_start",
    "on_finish",
    "on_warning",
)
"""``Pool.submit``'s options each call of ``operation.submit`` may pass."""

_PROBE_KEY = object()  # stands in for the pool key while the policy is checked


@dataclass(frozen=True, slots=True)
class Policy:
    """The checked policies of one operation; ``if_running`` is ``None`` without a scope."""

    name: str
    if_running: str | None
    """The per-key policy, or ``None``: every call runs (no pool key)."""
    key: Callable[..., Hashable] | None
    ttl: float | None
    retries: int
    backoff: float
    retry_on: type[BaseException] | tuple[type[BaseException], ...]
    timeout: float | None
    attempt_timeout: float | None
    rate_limiter: RateLimiter | None
    breaker: CircuitBreaker | None
    priority: Priority

    def options(
        self, pool_key: Hashable | None, per_call: Mapping[str, Any], scope: object
    ) -> SubmitOptions:
        """One call's ``Pool.submit`` options, checked in ``submit``'s order; see there."""
        get = per_call.get
        options = check_options(
            abs,  # the function was checked at decoration
            self.priority, self.timeout, self.retries, self.backoff, self.retry_on,
            pool_key, self.ttl, get("on_done"), get("on_error"), get("on_progress"),
            get("owner"), self.if_running or "join", self.name, get("metadata"),
            get("on_item"), get("max_buffered"), self.rate_limiter, self.breaker,
            self.attempt_timeout, get("on_start"), get("on_finish"), get("on_warning"),
        )  # fmt: skip
        options.scope = scope
        return options

    def pool_key(self, scope: Hashable, args: tuple[Any, ...]) -> Hashable | None:
        """The call's pool key: ``None`` (no policy), the scope, or ``(scope, key(*args))``.

        Raises:
            TypeError: ``key`` returned an unhashable value (named, with the function).

        """
        if self.if_running is None:
            return None
        if self.key is None:
            return scope
        value = self.key(*args)
        try:
            hash(value)
        except TypeError:
            raise TypeError(
                f"the key= of operation {self.name!r} must return a hashable value, got "
                f"{value!r} from {task_name(self.key)} (return an id, a path or a tuple)"
            ) from None
        return (scope, value)


def make_policy(fn: object, name: str, **given: Any) -> Policy:
    """Check the decorator's options once, as ``Pool.submit`` checks them, in its order.

    Raises:
        TypeError: ``fn`` or ``key`` is not callable, or an option of the wrong type.
        ValueError: a bad option value (see ``Pool.submit``).

    """
    if not callable(fn):
        raise TypeError(f"operation can only decorate a callable, got {fn!r}")
    key, if_running, ttl = given["key"], given["if_running"], given["ttl"]
    if key is not None and not callable(key):
        raise TypeError(
            f"key must be a function of the call's arguments (key=lambda row: row.id), "
            f"got {key!r}; without key= the operation itself is the one key"
        )
    if if_running is None and (key is not None or ttl is not None):
        if_running = "join"  # as Pool.submit with key=: a call joins the one under way
    given.update(if_running=if_running, name=name)
    policy = Policy(**given)
    policy.options(_PROBE_KEY if if_running is not None else None, {}, None)
    return policy


def refuse_options(where: str, given: Mapping[str, Any]) -> TypeError:
    """The error for keywords ``operation.submit`` does not take (raise it ``from None``)."""
    name = sorted(given)[0]
    if name in FIXED:
        return TypeError(
            f"{where}() got {name}={given[name]!r}, but {name}= is fixed by the operation's "
            f"decorator (@pool.operation({name}=...)); for a call with another {name}=, "
            f"decorate another operation or use pool.submit(fn, ..., {name}=...)"
        )
    return TypeError(
        f"{where}() got an unexpected keyword argument {name!r}: its keywords are options "
        f"({', '.join(PER_CALL)}), never forwarded to the function; pass the function's "
        f"own keywords with functools.partial"
    )
