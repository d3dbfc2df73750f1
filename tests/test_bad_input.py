"""Bad input, table-driven: every public entry point, wrong types and values.

Each case must raise at the call site, in the caller's thread, with a message that names
the argument and shows the value, and must leave nothing behind (no call posted, no task
queued). The table is the contract: a new public option gets its rows here.
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import uidispatch as ud

Dispatcher = ud.Dispatcher


def noop(*args: object) -> None:
    pass


Case = tuple[str, Callable[[Any], object], type[BaseException], str]

# (id, call(fixture value), exception, regex the message must match)
DISPATCHER_CASES: list[Case] = [
    # call_soon
    ("call_soon-fn-int", lambda d: d.call_soon(42), TypeError, r"fn must be callable, got 42"),
    ("call_soon-fn-None", lambda d: d.call_soon(None), TypeError, r"fn .* got None"),
    (
        "call_soon-priority-7",
        lambda d: d.call_soon(noop, priority=7),
        ValueError,
        r"priority .*got 7",
    ),
    (
        "call_soon-priority-str",
        lambda d: d.call_soon(noop, priority="HIGH"),
        ValueError,
        r"priority must be a uidispatch.Priority \(CRITICAL, HIGH, NORMAL, LOW, IDLE\), got 'HIGH'",
    ),
    (
        "call_soon-priority-None",
        lambda d: d.call_soon(noop, priority=None),
        ValueError,
        r"priority .*got None",
    ),
    (
        "call_soon-priority-neg",
        lambda d: d.call_soon(noop, priority=-1),
        ValueError,
        r"priority .*got -1",
    ),
    (
        "call_soon-key-list",
        lambda d: d.call_soon(noop, key=[1]),
        TypeError,
        r"key must be hashable, got \[1\]",
    ),
    (
        "call_soon-key-dict",
        lambda d: d.call_soon(noop, key={}),
        TypeError,
        r"key must be hashable, got \{\}",
    ),
    (
        "call_soon-owner-int",
        lambda d: d.call_soon(noop, owner=1),
        TypeError,
        r"owner must support weak references, got int 1",
    ),
    (
        "call_soon-owner-str",
        lambda d: d.call_soon(noop, owner="w"),
        TypeError,
        r"owner .* got str 'w'",
    ),
    (
        "call_soon-kwarg",
        lambda d: d.call_soon(noop, text="x"),
        TypeError,
        # The compiled build's message is CPython's for C functions.
        r"call_soon\(\) got an unexpected keyword argument 'text'"
        r"|'text' is an invalid keyword argument for call_soon\(\)",
    ),
    # call
    ("call-fn-str", lambda d: d.call("nope"), TypeError, r"fn must be callable, got 'nope'"),
    (
        "call-timeout-neg",
        lambda d: d.call(noop, timeout=-1),
        ValueError,
        r"timeout must be .* got -1",
    ),
    (
        "call-timeout-str",
        lambda d: d.call(noop, timeout="1"),
        TypeError,
        r"timeout must be a number of seconds, got '1'",
    ),
    (
        "call-timeout-nan",
        lambda d: d.call(noop, timeout=math.nan),
        ValueError,
        r"timeout .* got nan",
    ),
    (
        "call-timeout-inf",
        lambda d: d.call(noop, timeout=math.inf),
        ValueError,
        r"timeout .* got inf",
    ),
    ("call-timeout-bool", lambda d: d.call(noop, timeout=True), TypeError, r"timeout .* got True"),
    # call_later
    (
        "call_later-delay-neg",
        lambda d: d.call_later(-0.5, noop),
        ValueError,
        r"delay must be a finite number of seconds >= 0, got -0.5",
    ),
    (
        "call_later-delay-str",
        lambda d: d.call_later("1", noop),
        TypeError,
        r"delay must be a number of seconds, got '1'",
    ),
    (
        "call_later-delay-nan",
        lambda d: d.call_later(math.nan, noop),
        ValueError,
        r"delay .* got nan",
    ),
    (
        "call_later-delay-inf",
        lambda d: d.call_later(math.inf, noop),
        ValueError,
        r"delay .* got inf",
    ),
    ("call_later-delay-None", lambda d: d.call_later(None, noop), TypeError, r"delay .* got None"),
    (
        "call_later-delay-bool",
        lambda d: d.call_later(False, noop),
        TypeError,
        r"delay .* got False",
    ),
    (
        "call_later-fn-None",
        lambda d: d.call_later(1, None),
        TypeError,
        r"fn must be callable, got None",
    ),
    # run_until
    (
        "run_until-timeout-neg",
        lambda d: d.run_until(lambda: True, -1),
        ValueError,
        r"timeout .* got -1",
    ),
    (
        "run_until-timeout-str",
        lambda d: d.run_until(lambda: True, "1"),
        TypeError,
        r"timeout .* got '1'",
    ),
    (
        "run_until-predicate",
        lambda d: d.run_until(42, 1),
        TypeError,
        r"predicate must be callable, got 42",
    ),
    # configure
    (
        "configure-budget-0",
        lambda d: d.configure(budget=0),
        ValueError,
        r"budget must be a positive number of seconds, got 0",
    ),
    ("configure-budget-neg", lambda d: d.configure(budget=-0.1), ValueError, r"budget .* got -0.1"),
    (
        "configure-budget-nan",
        lambda d: d.configure(budget=math.nan),
        ValueError,
        r"budget .* got nan",
    ),
    ("configure-budget-str", lambda d: d.configure(budget="x"), ValueError, r"budget .* got 'x'"),
    (
        "configure-budget-bool",
        lambda d: d.configure(budget=True),
        ValueError,
        r"budget .* got True",
    ),
    (
        "configure-max_pending-0",
        lambda d: d.configure(max_pending=0),
        ValueError,
        r"max_pending must be None or an int >= 1, got 0",
    ),
    (
        "configure-max_pending-float",
        lambda d: d.configure(max_pending=1.5),
        ValueError,
        r"max_pending .* got 1.5",
    ),
    (
        "configure-max_pending-str",
        lambda d: d.configure(max_pending="10"),
        ValueError,
        r"max_pending .* got '10'",
    ),
    (
        "configure-max_pending-bool",
        lambda d: d.configure(max_pending=True),
        ValueError,
        r"max_pending .* got True",
    ),
    (
        "configure-overflow",
        lambda d: d.configure(overflow="spill"),
        ValueError,
        r"overflow must be one of 'block', 'drop_oldest', 'raise', got 'spill'",
    ),
    (
        "configure-overflow-None",
        lambda d: d.configure(overflow=None),
        ValueError,
        r"overflow .* got None",
    ),
    ("configure-positional", lambda d: d.configure(0.1), TypeError, r"positional"),
    (
        "configure-unknown",
        lambda d: d.configure(budjet=0.1),
        TypeError,
        r"unexpected keyword argument 'budjet'",
    ),
    # error handler
    (
        "error_handler",
        lambda d: setattr(d, "error_handler", 3),
        TypeError,
        r"error_handler must be callable, got 3",
    ),
    # watch_stalls
    (
        "watch_stalls-threshold-neg",
        lambda d: d.watch_stalls(-1),
        ValueError,
        r"threshold must be a finite number of seconds > 0, got -1",
    ),
    (
        "watch_stalls-threshold-str",
        lambda d: d.watch_stalls("1"),
        TypeError,
        r"threshold must be a number of seconds, got '1'",
    ),
    (
        "watch_stalls-on_stall",
        lambda d: d.watch_stalls(1, 3),
        TypeError,
        r"on_stall must be callable or None, got 3",
    ),
    (
        "watch_stalls-interval-0",
        lambda d: d.watch_stalls(1, interval=0),
        ValueError,
        r"interval .* got 0",
    ),
    # decorators bound to the dispatcher
    (
        "d.throttle-neg",
        lambda d: d.throttle(-1),
        ValueError,
        r"interval must be a finite number of seconds >= 0, got -1",
    ),
    (
        "d.debounce-str",
        lambda d: d.debounce("x"),
        TypeError,
        r"wait must be a number of seconds, got 'x'",
    ),
    (
        "d.main_thread-wait",
        lambda d: d.main_thread(wait="yes"),
        TypeError,
        r"wait must be True or False, got 'yes'",
    ),
]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [pytest.param(c, e, m, id=i) for i, c, e, m in DISPATCHER_CASES],
)
def test_dispatcher_entry_points_reject_bad_input_at_the_call_site(
    virtual_dispatcher: Dispatcher, call: Callable[[Any], object], exc: type[Exception], match: str
) -> None:
    d = virtual_dispatcher
    with pytest.raises(exc, match=match):
        call(d)
    s = d.stats()
    assert (s.posted, s.pending) == (0, 0)  # nothing was queued by the failed call


# Values a dict lookup or a truthiness test would silently accept: each must be refused.
@pytest.mark.parametrize("priority", [True, 1.0])
def test_call_soon_rejects_a_bool_or_float_priority(
    virtual_dispatcher: Dispatcher, priority: object
) -> None:
    with pytest.raises(ValueError, match=rf"priority .* got {priority!r}"):
        virtual_dispatcher.call_soon(noop, priority=priority)  # type: ignore[arg-type]


def test_dispatcher_constructor_names_a_wrong_backend() -> None:
    with pytest.raises(TypeError, match=r"backend .* got 'tk'"):
        ud.Dispatcher("tk")  # type: ignore[arg-type]


def test_close_rejects_a_non_bool_run_pending(virtual_dispatcher: Dispatcher) -> None:
    with pytest.raises(TypeError, match=r"run_pending must be True or False, got 'no'"):
        virtual_dispatcher.close(run_pending="no")  # type: ignore[arg-type]


# ----------------------------------------------------------------- registry

REGISTRY_CASES: list[Case] = [
    (
        "get_dispatcher-name-int",
        lambda _: ud.get_dispatcher(3),
        TypeError,
        r"name must be a backend name \(str\), got 3",
    ),
    (
        "get_dispatcher-unknown",
        lambda _: ud.get_dispatcher("fltk"),
        ud.BackendNotFound,
        r"no backend 'fltk'; installed: .*asyncio.*virtual",
    ),
    (
        "get_dispatcher-app",
        lambda _: ud.get_dispatcher("asyncio", app="root"),
        TypeError,
        r"app must be an asyncio event loop.*got 'root'",
    ),
    (
        "use-int",
        lambda _: ud.use(3),
        TypeError,
        r"backend must be a backend name, a Dispatcher or None, got 3",
    ),
    ("use-unknown", lambda _: ud.use("fltk"), ud.BackendNotFound, r"no backend 'fltk'"),
]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [pytest.param(c, e, m, id=i) for i, c, e, m in REGISTRY_CASES],
)
def test_registry_entry_points_reject_bad_input(
    call: Callable[[Any], object], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        call(None)


@pytest.mark.parametrize("value", ["fltk", "Virtual", " wx "])
def test_bad_backend_env_var_is_named_with_its_value(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("UIDISPATCH_BACKEND", value)
    with pytest.raises(
        ud.BackendNotFound, match=rf"no backend '{value.strip()}'.*UIDISPATCH_BACKEND"
    ):
        ud.get_dispatcher()


# ----------------------------------------------------------------- decorators

DECORATOR_CASES: list[Case] = [
    (
        "throttle-neg",
        lambda _: ud.throttle(-1),
        ValueError,
        r"interval must be a finite number of seconds >= 0, got -1",
    ),
    (
        "throttle-str",
        lambda _: ud.throttle("0.1"),
        TypeError,
        r"interval must be a number of seconds, got '0.1'",
    ),
    ("throttle-nan", lambda _: ud.throttle(math.nan), ValueError, r"interval .* got nan"),
    ("throttle-inf", lambda _: ud.throttle(math.inf), ValueError, r"interval .* got inf"),
    ("throttle-bool", lambda _: ud.throttle(True), TypeError, r"interval .* got True"),
    (
        "throttle-no-parentheses",
        lambda _: ud.throttle(noop),
        TypeError,
        r"interval must be a number of seconds, got <function noop.*give it a number",
    ),
    (
        "throttle-leading",
        lambda _: ud.throttle(0.1, leading="yes"),
        TypeError,
        r"leading must be True or False, got 'yes'",
    ),
    (
        "throttle-trailing",
        lambda _: ud.throttle(0.1, trailing=1),
        TypeError,
        r"trailing must be True or False, got 1",
    ),
    (
        "throttle-no-edge",
        lambda _: ud.throttle(0.1, leading=False, trailing=False),
        ValueError,
        r"leading=True or trailing=True",
    ),
    (
        "throttle-dispatcher",
        lambda _: ud.throttle(0.1, dispatcher="virtual"),
        TypeError,
        r"dispatcher must be a uidispatch.Dispatcher or None, got 'virtual'",
    ),
    (
        "throttle-decorates-int",
        lambda _: ud.throttle(0.1)(42),
        TypeError,
        r"throttle can only decorate a callable, got 42",
    ),
    (
        "debounce-neg",
        lambda _: ud.debounce(-0.3),
        ValueError,
        r"wait must be a finite number of seconds >= 0, got -0.3",
    ),
    (
        "debounce-str",
        lambda _: ud.debounce("x"),
        TypeError,
        r"wait must be a number of seconds, got 'x'",
    ),
    (
        "debounce-no-parentheses",
        lambda _: ud.debounce(noop),
        TypeError,
        r"wait .* got <function noop",
    ),
    (
        "debounce-max_wait-short",
        lambda _: ud.debounce(0.3, max_wait=0.1),
        ValueError,
        r"max_wait must be >= wait \(0.3\), got max_wait=0.1",
    ),
    (
        "debounce-max_wait-str",
        lambda _: ud.debounce(0.3, max_wait="1"),
        TypeError,
        r"max_wait must be a number of seconds, got '1'",
    ),
    (
        "debounce-max_wait-neg",
        lambda _: ud.debounce(0.3, max_wait=-1),
        ValueError,
        r"max_wait .* got -1",
    ),
    (
        "debounce-dispatcher",
        lambda _: ud.debounce(0.3, dispatcher=3),
        TypeError,
        r"dispatcher .* got 3",
    ),
    (
        "debounce-decorates-None",
        lambda _: ud.debounce(0.3)(None),
        TypeError,
        r"debounce can only decorate a callable, got None",
    ),
    (
        "main_thread-int",
        lambda _: ud.main_thread(42),
        TypeError,
        r"main_thread takes the function to decorate or keyword options .* got 42",
    ),
    (
        "main_thread-wait",
        lambda _: ud.main_thread(wait=1),
        TypeError,
        r"wait must be True or False, got 1",
    ),
    (
        "main_thread-timeout-neg",
        lambda _: ud.main_thread(wait=True, timeout=-1),
        ValueError,
        r"timeout must be a finite number of seconds >= 0, got -1",
    ),
    (
        "main_thread-timeout-str",
        lambda _: ud.main_thread(wait=True, timeout="1"),
        TypeError,
        r"timeout must be None or a number of seconds, got '1'",
    ),
    (
        "main_thread-timeout-without-wait",
        lambda _: ud.main_thread(timeout=1),
        ValueError,
        r"timeout=1 needs wait=True",
    ),
    (
        "main_thread-dispatcher",
        lambda _: ud.main_thread(dispatcher="qt"),
        TypeError,
        r"dispatcher must be a uidispatch.Dispatcher or None, got 'qt'",
    ),
]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [pytest.param(c, e, m, id=i) for i, c, e, m in DECORATOR_CASES],
)
def test_decorators_reject_bad_input_at_decoration(
    call: Callable[[Any], object], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        call(None)


# ----------------------------------------------------------------- pool


@pytest.fixture
def pool(virtual_dispatcher: Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=1, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True)


def slow_gen() -> Iterator[int]:
    yield 1


POOL_CASES: list[Case] = [
    (
        "Pool-max_workers-0",
        lambda _: ud.Pool(max_workers=0),
        ValueError,
        r"max_workers must be an int >= 1 or None, got 0",
    ),
    (
        "Pool-max_workers-neg",
        lambda _: ud.Pool(max_workers=-2),
        ValueError,
        r"max_workers .* got -2",
    ),
    (
        "Pool-max_workers-str",
        lambda _: ud.Pool(max_workers="4"),
        ValueError,
        r"max_workers .* got '4'",
    ),
    (
        "Pool-max_workers-bool",
        lambda _: ud.Pool(max_workers=True),
        ValueError,
        r"max_workers .* got True",
    ),
    (
        "Pool-max_workers-float",
        lambda _: ud.Pool(max_workers=2.0),
        ValueError,
        r"max_workers .* got 2.0",
    ),
    (
        "Pool-dispatcher",
        lambda _: ud.Pool(dispatcher=3),
        TypeError,
        r"dispatcher must be a Dispatcher, a backend name or None, got 3",
    ),
    (
        "Pool-executor",
        lambda _: ud.Pool(executor="threads"),
        TypeError,
        r"executor must be a concurrent.futures.Executor, got 'threads'",
    ),
    (
        "Pool-max_errors-0",
        lambda _: ud.Pool(max_errors=0),
        ValueError,
        r"max_errors must be an int >= 1, got 0",
    ),
    (
        "Pool-error_window-neg",
        lambda _: ud.Pool(error_window=-1),
        ValueError,
        r"error_window .* got -1",
    ),
    (
        "Pool-idle_timeout-0",
        lambda _: ud.Pool(idle_timeout=0),
        ValueError,
        r"idle_timeout .* > 0, got 0",
    ),
    (
        "Pool-aging-str",
        lambda _: ud.Pool(aging="1"),
        TypeError,
        r"aging must be a number of seconds, got '1'",
    ),
    ("submit-fn-int", lambda p: p.submit(42), TypeError, r"fn must be callable, got 42"),
    (
        "submit-priority-7",
        lambda p: p.submit(noop, priority=7),
        ValueError,
        r"priority must be a uidispatch.Priority .* got 7",
    ),
    (
        "submit-priority-bool",
        lambda p: p.submit(noop, priority=True),
        ValueError,
        r"priority .* got True",
    ),
    (
        "submit-timeout-0",
        lambda p: p.submit(noop, timeout=0),
        ValueError,
        r"timeout must be a finite number of seconds > 0, got 0",
    ),
    ("submit-timeout-neg", lambda p: p.submit(noop, timeout=-1), ValueError, r"timeout .* got -1"),
    (
        "submit-timeout-str",
        lambda p: p.submit(noop, timeout="5"),
        TypeError,
        r"timeout must be a number of seconds, got '5'",
    ),
    (
        "submit-timeout-nan",
        lambda p: p.submit(noop, timeout=math.nan),
        ValueError,
        r"timeout .* got nan",
    ),
    (
        "submit-retries-neg",
        lambda p: p.submit(noop, retries=-1),
        ValueError,
        r"retries must be an int >= 0, got -1",
    ),
    (
        "submit-retries-float",
        lambda p: p.submit(noop, retries=1.5),
        ValueError,
        r"retries .* got 1.5",
    ),
    (
        "submit-retry_on-int",
        lambda p: p.submit(noop, retries=1, retry_on=42),
        TypeError,
        r"retry_on must be an exception class or a tuple of them, got 42",
    ),
    (
        "submit-retry_on-mixed",
        lambda p: p.submit(noop, retries=1, retry_on=(OSError, "x")),
        TypeError,
        r"retry_on .* got \(<class 'OSError'>, 'x'\)",
    ),
    (
        "submit-backoff-neg",
        lambda p: p.submit(noop, retries=1, backoff=-1),
        ValueError,
        r"backoff .* got -1",
    ),
    (
        "submit-key-list",
        lambda p: p.submit(noop, key=["a"]),
        TypeError,
        r"key must be hashable, got \['a'\]",
    ),
    ("submit-ttl-without-key", lambda p: p.submit(noop, ttl=5), ValueError, r"ttl=5.0 needs key="),
    ("submit-ttl-neg", lambda p: p.submit(noop, key="k", ttl=-5), ValueError, r"ttl .* got -5"),
    (
        "submit-on_done",
        lambda p: p.submit(noop, on_done=3),
        TypeError,
        r"on_done must be callable, got 3",
    ),
    (
        "submit-on_error",
        lambda p: p.submit(noop, on_error="log"),
        TypeError,
        r"on_error must be callable, got 'log'",
    ),
    (
        "submit-on_progress",
        lambda p: p.submit(noop, on_progress=1),
        TypeError,
        r"on_progress must be callable, got 1",
    ),
    (
        "submit-owner-int",
        lambda p: p.submit(noop, owner=1),
        TypeError,
        r"owner must support weak references, got int 1",
    ),
    (
        "submit-kwarg",
        lambda p: p.submit(noop, text="x"),
        TypeError,
        r"unexpected keyword argument 'text'",
    ),
]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [pytest.param(c, e, m, id=i) for i, c, e, m in POOL_CASES],
)
def test_pool_entry_points_reject_bad_input_at_the_call_site(
    pool: ud.Pool, call: Callable[[Any], object], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        call(pool)
    assert pool.stats().submitted == 0  # the refused task was never queued


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5", "four"])
def test_bad_workers_env_var_is_named_with_its_value_at_construction(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("UIDISPATCH_WORKERS", value)
    with pytest.raises(ValueError, match=rf"UIDISPATCH_WORKERS must be .* got '{value}'"):
        ud.Pool()
    with pytest.raises(ValueError, match=rf"UIDISPATCH_WORKERS .* got '{value}'"):
        ud.Pool(max_workers=2)  # validated even when max_workers wins


def test_default_submit_rejects_bad_input_like_pool_submit() -> None:
    with pytest.raises(TypeError, match=r"fn must be callable, got 42"):
        ud.submit(42)
    with pytest.raises(ValueError, match=r"retries must be an int >= 0, got -3"):
        ud.submit(functools.partial(noop), retries=-3)


def test_pool_with_an_executor_refuses_generators_and_progress(
    virtual_dispatcher: Dispatcher,
) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        p = ud.Pool(executor=ex, dispatcher=virtual_dispatcher)
        try:
            with pytest.raises(TypeError, match=r"generator"):
                p.submit(slow_gen)
            with pytest.raises(ValueError, match=r"on_progress="):
                p.submit(noop, on_progress=noop)
        finally:
            p.shutdown(wait=True)


# ----------------------------------------------------------------- values at the extremes

HUGE_INT = 10**400  # too large for a float: float(HUGE_INT) raises OverflowError
HUGE = (HUGE_INT, 1e10, 1e300)


def _submit_with(p: ud.Pool, **options: Any) -> ud.Task[Any]:
    return p.submit(noop, **options)


# A huge finite duration means "practically never": accepted everywhere, never an
# OverflowError, whatever thread later waits on it. (id, call(dispatcher, pool, value))
HUGE_ACCEPTED: list[tuple[str, Callable[[Dispatcher, ud.Pool, Any], object]]] = [
    ("call-timeout", lambda d, p, v: d.call(noop, timeout=v)),
    ("call_later-delay", lambda d, p, v: d.call_later(v, noop)),
    ("run_until-timeout", lambda d, p, v: d.run_until(lambda: True, v)),
    ("configure-budget", lambda d, p, v: d.configure(budget=v)),
    ("watch_stalls-threshold", lambda d, p, v: d.watch_stalls(v).stop()),
    ("watch_stalls-interval", lambda d, p, v: d.watch_stalls(0.2, interval=v).stop()),
    ("throttle-interval", lambda d, p, v: ud.throttle(v, dispatcher=d)(noop)),
    ("debounce-wait", lambda d, p, v: ud.debounce(v, dispatcher=d)(noop)),
    ("debounce-max_wait", lambda d, p, v: ud.debounce(1, max_wait=v, dispatcher=d)(noop)),
    ("main_thread-timeout", lambda d, p, v: ud.main_thread(wait=True, timeout=v)(noop)),
    ("Pool-idle_timeout", lambda d, p, v: ud.Pool(idle_timeout=v).shutdown()),
    ("Pool-aging", lambda d, p, v: ud.Pool(aging=v).shutdown()),
    ("Pool-error_window", lambda d, p, v: ud.Pool(max_errors=2, error_window=v).shutdown()),
    ("submit-timeout", lambda d, p, v: _submit_with(p, timeout=v).result(5)),
    ("submit-backoff", lambda d, p, v: _submit_with(p, retries=1, backoff=v).result(5)),
    ("submit-ttl", lambda d, p, v: _submit_with(p, key="k", ttl=v).result(5)),
    ("run_command-kill_after", lambda d, p, v: ud.run_command(["true"], pool=p, kill_after=v)),
]


@pytest.mark.parametrize("value", HUGE, ids=["10**400", "1e10", "1e300"])
@pytest.mark.parametrize(("call"), [pytest.param(c, id=i) for i, c in HUGE_ACCEPTED])
def test_a_huge_duration_is_accepted_as_practically_never(
    virtual_dispatcher: Dispatcher,
    pool: ud.Pool,
    call: Callable[[Dispatcher, ud.Pool, Any], object],
    value: Any,
) -> None:
    call(virtual_dispatcher, pool, value)


def test_the_duration_helper_clamps_to_max_seconds_and_names_the_argument() -> None:
    from uidispatch._core._options import MAX_SECONDS, check_seconds

    assert check_seconds("delay", HUGE_INT, zero_ok=True) == MAX_SECONDS
    assert check_seconds("delay", 1e300, zero_ok=True) == MAX_SECONDS
    assert check_seconds("delay", MAX_SECONDS - 1, zero_ok=True) == MAX_SECONDS - 1
    assert check_seconds("delay", 3, zero_ok=True) == 3.0
    with pytest.raises(ValueError, match=r"delay must be .* >= 0, got -2\*\*1328 \(or more\)"):
        check_seconds("delay", -HUGE_INT, zero_ok=True)
    with pytest.raises(ValueError, match=r"wait must be .* > 0, got -2\*\*16609 \(or more\)"):
        check_seconds("wait", -(10**5000), zero_ok=False)  # repr() of it would raise


# NaN, infinities and huge negatives: refused at every entry point, naming the argument.
EXTREME_REJECTED: list[Case] = [
    ("call-timeout-inf", lambda d: d.call(noop, timeout=math.inf), ValueError, r"timeout .* inf"),
    ("call-timeout-nan", lambda d: d.call(noop, timeout=math.nan), ValueError, r"timeout .* nan"),
    (
        "call-timeout-huge-neg",
        lambda d: d.call(noop, timeout=-HUGE_INT),
        ValueError,
        r"timeout must be a finite number of seconds >= 0, got -2\*\*1328",
    ),
    ("call_later-inf", lambda d: d.call_later(math.inf, noop), ValueError, r"delay .* got inf"),
    ("call_later-nan", lambda d: d.call_later(math.nan, noop), ValueError, r"delay .* got nan"),
    (
        "call_later-huge-neg",
        lambda d: d.call_later(-HUGE_INT, noop),
        ValueError,
        r"delay .* got -2\*\*1328",
    ),
    ("run_until-inf", lambda d: d.run_until(noop, math.inf), ValueError, r"timeout .* got inf"),
    ("run_until-nan", lambda d: d.run_until(noop, math.nan), ValueError, r"timeout .* got nan"),
    (
        "configure-budget-inf",
        lambda d: d.configure(budget=math.inf),
        ValueError,
        r"budget must be a positive number of seconds, got inf \(finite: a drain must yield",
    ),
    (
        "configure-budget-huge-neg",
        lambda d: d.configure(budget=-HUGE_INT),
        ValueError,
        r"budget .* got -2\*\*1328",
    ),
    (
        "watch_stalls-threshold-inf",
        lambda d: d.watch_stalls(math.inf),
        ValueError,
        r"threshold .* got inf",
    ),
    (
        "watch_stalls-interval-nan",
        lambda d: d.watch_stalls(0.2, interval=math.nan),
        ValueError,
        r"interval .* got nan",
    ),
    ("throttle-huge-neg", lambda d: d.throttle(-HUGE_INT), ValueError, r"interval .* -2\*\*1328"),
    ("debounce-inf", lambda d: d.debounce(math.inf), ValueError, r"wait .* got inf"),
    (
        "debounce-max_wait-nan",
        lambda d: d.debounce(1, max_wait=math.nan),
        ValueError,
        r"max_wait .* got nan",
    ),
    (
        "main_thread-timeout-inf",
        lambda d: d.main_thread(wait=True, timeout=math.inf),
        ValueError,
        r"timeout must be a finite number of seconds >= 0, got inf",
    ),
    (
        "main_thread-timeout-nan",
        lambda d: d.main_thread(wait=True, timeout=math.nan),
        ValueError,
        r"timeout .* got nan",
    ),
    (
        "Pool-idle_timeout-inf",
        lambda d: ud.Pool(idle_timeout=math.inf),
        ValueError,
        r"idle_timeout .* got inf",
    ),
    ("Pool-aging-nan", lambda d: ud.Pool(aging=math.nan), ValueError, r"aging .* got nan"),
    (
        "Pool-error_window-inf",
        lambda d: ud.Pool(max_errors=1, error_window=math.inf),
        ValueError,
        r"error_window .* got inf",
    ),
    (
        "run_command-kill_after-nan",
        lambda d: ud.run_command(["true"], kill_after=math.nan),
        ValueError,
        r"kill_after .* got nan",
    ),
]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [pytest.param(c, e, m, id=i) for i, c, e, m in EXTREME_REJECTED],
)
def test_nan_infinity_and_huge_negatives_are_refused_at_the_call_site(
    virtual_dispatcher: Dispatcher, call: Callable[[Any], object], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        call(virtual_dispatcher)
    s = virtual_dispatcher.stats()
    assert (s.posted, s.pending) == (0, 0)


@pytest.mark.parametrize(
    ("option", "value"),
    [("timeout", math.inf), ("timeout", math.nan), ("backoff", math.inf), ("ttl", math.nan)],
)
def test_submit_refuses_nan_and_infinite_durations(
    pool: ud.Pool, option: str, value: float
) -> None:
    extra: dict[str, Any] = {"retries": 1} if option == "backoff" else {}
    if option == "ttl":
        extra["key"] = "k"
    with pytest.raises(ValueError, match=rf"{option} must be a finite number of seconds"):
        pool.submit(noop, **{option: value}, **extra)
    assert pool.stats().submitted == 0


# ----------------------------------------------------------------- async and generator callables


async def coro_fn(*args: object) -> None:
    raise AssertionError("never awaited here")  # pragma: no cover


def gen_fn(*args: object) -> Iterator[int]:
    yield 1  # pragma: no cover


async def agen_fn(*args: object) -> Any:
    yield 1  # pragma: no cover


class _Widget:
    async def refresh(self, *args: object) -> None:
        pass  # pragma: no cover


class _AsyncCallable:
    async def __call__(self, *args: object) -> None:
        pass  # pragma: no cover


NOT_PLAIN = [
    pytest.param(coro_fn, "a coroutine function", id="async-def"),
    pytest.param(gen_fn, "a generator function", id="generator"),
    pytest.param(agen_fn, "an async generator function", id="async-generator"),
    pytest.param(functools.partial(coro_fn, 1), "a coroutine function", id="partial-async"),
    pytest.param(_Widget().refresh, "a coroutine function", id="bound-async-method"),
    pytest.param(_AsyncCallable(), "a coroutine function", id="async-__call__"),
    # A bound method whose function is not a Python function: the full check sees through it.
    pytest.param(
        types.MethodType(functools.partial(coro_fn), _Widget()),
        "a coroutine function",
        id="method-over-partial-async",
    ),
]

# (id, call(dispatcher, pool, fn), the argument's name, a word of the way out)
CALLABLE_ENTRY_POINTS: list[tuple[str, Callable[[Dispatcher, ud.Pool, Any], object], str, str]] = [
    ("call_soon", lambda d, p, fn: d.call_soon(fn), "fn", "ud.submit"),
    ("call_soon-key", lambda d, p, fn: d.call_soon(fn, key="k"), "fn", "ud.submit"),
    ("call", lambda d, p, fn: d.call(fn), "fn", "ud.submit"),
    ("call_later", lambda d, p, fn: d.call_later(1, fn), "fn", "ensure_future"),
    ("run_until", lambda d, p, fn: d.run_until(fn, 1), "predicate", "plain function"),
    ("throttle", lambda d, p, fn: d.throttle(0.1)(fn), "throttle", "ud.submit"),
    ("debounce", lambda d, p, fn: d.debounce(0.1)(fn), "debounce", "ud.submit"),
    ("ud.throttle", lambda d, p, fn: ud.throttle(0.1)(fn), "throttle", "ud.submit"),
    ("ud.debounce", lambda d, p, fn: ud.debounce(0.1)(fn), "debounce", "ud.submit"),
    ("main_thread", lambda d, p, fn: d.main_thread(fn), "main_thread", "ud.submit"),
    ("ud.main_thread", lambda d, p, fn: ud.main_thread(wait=True)(fn), "main_thread", "submit"),
    ("submit-on_done", lambda d, p, fn: p.submit(noop, on_done=fn), "on_done", "ensure_future"),
    ("submit-on_error", lambda d, p, fn: p.submit(noop, on_error=fn), "on_error", "ud.submit"),
    (
        "submit-on_progress",
        lambda d, p, fn: p.submit(noop, on_progress=fn),
        "on_progress",
        "ud.submit",
    ),
    ("task.on_done", lambda d, p, fn: p.submit(noop).on_done(fn), "on_done", "ud.submit"),
    ("task.on_error", lambda d, p, fn: p.submit(noop).on_error(fn), "on_error", "ud.submit"),
    (
        "task.on_progress",
        lambda d, p, fn: p.submit(noop).on_progress(fn),
        "on_progress",
        "ud.submit",
    ),
    (
        "watch_stalls-on_stall",
        lambda d, p, fn: d.watch_stalls(0.2, fn),
        "on_stall",
        "call_soon",
    ),
    (
        "error_handler",
        lambda d, p, fn: setattr(d, "error_handler", fn),
        "error_handler",
        "plain function",
    ),
    ("pool.on_busy", lambda d, p, fn: p.on_busy(fn), "callback", "ud.submit"),
    ("gather-on_done", lambda d, p, fn: ud.gather(p.submit(noop), on_done=fn), "on_done", "submit"),
    ("submit-on_item", lambda d, p, fn: p.submit(gen_fn, on_item=fn), "on_item", "ud.submit"),
    (
        "run_command-on_output",
        lambda d, p, fn: ud.run_command(["true"], pool=p, on_output=fn),
        "on_output",
        "ud.submit",
    ),
]


@pytest.mark.parametrize(("fn", "kind"), NOT_PLAIN)
@pytest.mark.parametrize(
    ("call", "name", "way_out"),
    [pytest.param(c, n, w, id=i) for i, c, n, w in CALLABLE_ENTRY_POINTS],
)
def test_async_and_generator_callables_are_refused_where_a_plain_call_is_made(
    virtual_dispatcher: Dispatcher,
    pool: ud.Pool,
    call: Callable[[Dispatcher, ud.Pool, Any], object],
    name: str,
    way_out: str,
    fn: object,
    kind: str,
) -> None:
    ud.use(virtual_dispatcher)
    handler = virtual_dispatcher.error_handler
    with pytest.raises(TypeError, match=rf"{name} .*plain function, got {kind} .*{way_out}"):
        call(virtual_dispatcher, pool, fn)
    assert virtual_dispatcher.error_handler is handler
    s = virtual_dispatcher.stats()
    assert (s.posted, s.pending) == (0, 0)  # refused before anything was queued


def test_pool_submit_still_runs_async_and_generator_functions(pool: ud.Pool) -> None:
    with pytest.raises(AssertionError, match="never awaited here"):
        pool.submit(coro_fn).result(5)  # the coroutine's body ran on the pool's loop
    assert pool.submit(gen_fn).result(5) is None  # each yield is a progress report


def test_plain_callables_of_every_shape_are_still_accepted(virtual_dispatcher: Dispatcher) -> None:
    class Plain:
        def __call__(self) -> None:
            pass

        def method(self) -> None:
            pass

    d = virtual_dispatcher
    shapes = (
        noop,
        Plain(),
        Plain().method,
        {}.clear,
        functools.partial(noop, 1),
        int,
        object,
        types.MethodType(len, [1]),  # a bound method over a C function
        types.MethodType(functools.partial(noop), 1),  # ... over a partial
        "a".upper,  # a bound method descriptor
        (1).__neg__,  # a method-wrapper
    )
    for fn in shapes:
        d.call_soon(fn)
    assert d.run_until(lambda: d.stats().executed == len(shapes), 5)
