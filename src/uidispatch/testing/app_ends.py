"""Every public entry point that takes an app's object, against every way an app ends.

A library thread left holding the last reference to a widget frees it on that thread: Tk
aborts the process (``Tcl_AsyncDelete``), Qt warns and may crash. This module generates the
cases that prove it never happens, instead of listing them: :func:`entry_points` walks
``uidispatch.__all__`` and the signatures of its classes and functions, and
:func:`missing_scenarios` names each parameter taking a callable (or each decorator) that
has neither a scenario in :data:`SCENARIOS` nor a reason in :data:`NOT_HELD`, so a new
entry point fails the test until it is covered. :func:`cases` crosses the scenarios with
:data:`ENDINGS`, and :func:`run_case` runs one in a child process that ends with a
collection on a worker thread; the child must exit 0 with nothing on stderr.
:class:`CaseRuns` runs many cases' children a few at a time (they mostly wait), so a
suite keeps one test per case at a fraction of the time. A backend's test module binds
the generated tests with :func:`pytest_suite`::

    runs, test_every_entry_point_has_a_scenario, test_the_app_ends_cleanly = (
        app_ends.pytest_suite(APP)
    )

A toolkit supplies ``APP`` code (see :data:`TK_APP`; :data:`GTK_APP`,
:data:`TEXTUAL_APP`, :data:`PYGAME_APP`): a class ``App`` with ``label`` (a widget),
``show(*args)`` (touches the label), ``work(*args)`` and ``widget()`` (both block until
released; ``widget`` returns the label), ``d`` (its dispatcher, unless the ending is
``"never asked"``, read in the script's global ``ENDING``), and a function ``run(app)``
that runs the toolkit's loop and ends it as the ending says. A toolkit that gives a
dispatcher only to a running app (Textual) defines ``run_begun(app, begin)`` instead: it
runs the loop, calls ``begin()`` inside it (that starts the scenario and returns the pool;
the app then waits for the global ``started`` event itself), ends the loop and returns the
pool; it may redefine ``pump_until(until)`` (what a guest run's scenario calls to let the
app's loop start its work).
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ._app_ends_apps import GTK_APP, PYGAME_APP, TEXTUAL_APP, TK_APP
from ._app_ends_scenarios import ENDINGS, NOT_HELD, SCENARIOS

__all__ = [
    "ENDINGS",
    "ENV_SKIP",
    "GTK_APP",
    "NOT_HELD",
    "PYGAME_APP",
    "SCENARIOS",
    "TEXTUAL_APP",
    "TK_APP",
    "WORKERS",
    "CaseRuns",
    "assert_ended_cleanly",
    "cases",
    "entry_points",
    "missing_scenarios",
    "pytest_suite",
    "run_case",
    "selected_cases",
    "skip_reason",
]

ENV_SKIP = "UIDISPATCH_APP_ENDS"
"""Set to ``skip`` to skip the generated cases (``nox`` runs them once per toolkit: Tk, GTK,
Textual and pygame on the newest Python, Qt with PySide6 on the oldest)."""


def skip_reason() -> str | None:
    """Why the generated cases skip here, or ``None`` when they run."""
    import os

    if os.environ.get(ENV_SKIP, "").strip().lower() == "skip":
        return (
            f"{ENV_SKIP}=skip: the app-ends cases run once per toolkit (Tk, GTK, Textual, "
            "pygame on the newest Python, PySide6 on the oldest)"
        )
    return None


_SCRIPT = """
import gc, os, sys, threading, time
import uidispatch as ud

SCENARIO, ENDING, CODE = sys.argv[1], sys.argv[2], sys.argv[3]
started, finish = threading.Event(), threading.Event()
# Generous: a case waits on these only when it fails, or on a loaded machine.
WAIT = 30
COMMAND = [sys.executable, "-c", "import time; print('line', flush=True); time.sleep(0.3)"]


def blocked(*args):
    started.set()
    finish.wait(WAIT)
    return 1


def failing():
    started.set()
    finish.wait(WAIT)
    raise ValueError("failed")


def progressing():
    started.set()
    finish.wait(WAIT)
    ud.report_progress(0.5)


def items():
    started.set()
    finish.wait(WAIT)
    yield from range(3)


def call_from_worker(fn, *args):
    started.set()
    finish.wait(WAIT)
    try:
        fn(*args) if args else fn(1)
    except ud.DispatcherClosed:
        pass  # the app's window closed: what a worker calling into the UI must expect
    except ud.NoBackendDetected:
        pass  # the app never asked for a dispatcher, and its window is gone



def pump_until(until):
    # A scenario whose work starts only once the app's loop runs (a guest run) pumps it.
    assert ud.get_dispatcher().run_until(until, WAIT), "the work never started"

{app}

def begin(app, wait=True):
    d = getattr(app, "d", None)
    options = {{"max_workers": 4, "idle_timeout": 0.5}}
    pool = ud.Pool(**options) if d is None else ud.Pool(**options, dispatcher=d)
    # The scenario runs as the body of an app's function: its lambdas close over the
    # app, and its locals (a breaker made there) go when the function returns.
    body = "".join("    " + line + "\\n" for line in CODE.splitlines())
    scope = {{}}
    exec("def start(app, pool, d):\\n" + body, globals(), scope)
    scope["start"](app, pool, d)
    del scope
    assert not wait or started.wait(WAIT), "the work never started"
    return pool


def main():
    app = App()
    if "run_begun" in globals():
        return run_begun(app, lambda: begin(app, wait=False))
    pool = begin(app)
    run(app)
    return pool


pool = main()  # its frame held the app's last references, on this thread
gc.collect()
finish.set()
if ENDING == "exit in flight":
    raise SystemExit(0)
deadline = time.monotonic() + 2 * WAIT
while time.monotonic() < deadline and (pool.stats().queued or pool.stats().running):
    time.sleep(0.01)
# The app goes on after its window: its main thread calls into the library again, which
# releases what the library's threads handed over (the finished tasks' jobs among them).
try:
    ud.get_dispatcher()
except ud.UIDispatchError:
    pass
if ENDING == "timers":
    # The library's threads go on by themselves: timers fire (a breaker's reset, a
    # call_later, a trailing throttle), idle workers exit; a few seconds at most.
    deadline = time.monotonic() + 3
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
else:
    # With a timeout: a worker may wait in Dispatcher.call() for a loop that has ended.
    pool.shutdown(timeout=5)
    ud.shutdown(5)
collector = threading.Thread(target=gc.collect)
collector.start()
collector.join()
print("exited cleanly")
"""


def entry_points() -> Iterator[str]:
    """Each public parameter taking an app's callable (``"Pool.submit(on_done)"``).

    Found from ``uidispatch.__all__`` and ``uidispatch.aio.__all__``: the parameters of
    every public function, class and method annotated with a ``Callable`` or named ``fn``
    or ``callback``, and every decorator factory (a callable returning
    ``Callable[[Callable...``) as ``"name(fn)"``.
    """
    import uidispatch as ud
    from uidispatch import aio

    public = [(name, getattr(ud, name)) for name in ud.__all__]
    public += [(f"aio.{name}", getattr(aio, name)) for name in aio.__all__]
    for name, obj in public:
        if inspect.isclass(obj):
            members = [(f"{name}.{m}", getattr(obj, m)) for m in dir(obj) if not m.startswith("_")]
            members.append((name, obj))
        elif callable(obj):
            members = [(name, obj)]
        else:
            continue
        for where, fn in members:
            if not callable(fn):
                continue
            try:
                sig = inspect.signature(fn)
            except (TypeError, ValueError):
                continue
            if "Callable[[Callable" in str(sig.return_annotation):
                yield f"{where}(fn)"
            for p in sig.parameters.values():
                if "Callable" in str(p.annotation) or p.name in ("fn", "callback"):
                    yield f"{where}({p.name})"


def missing_scenarios() -> list[str]:
    """The entry points with neither a scenario nor a reason they are never held."""
    return sorted(set(entry_points()) - SCENARIOS.keys() - NOT_HELD.keys())


_NAMES_D = re.compile(r"(?<![\w.])d\.")  # the scenario uses the app's dispatcher ``d``


def cases(
    scenarios: Mapping[str, str] = SCENARIOS, endings: Mapping[str, str] = ENDINGS
) -> Iterator[tuple[str, str, str]]:
    """``(scenario, ending, code)`` for each pair that applies.

    An app that never asked for a dispatcher has none to hand its scenarios: the ones
    that need ``d`` are left out of that ending. So is a worker in ``Dispatcher.call()``
    after the loop returned with the window still there: it waits for that loop, as
    documented (a loop may run again: a modal dialog's, or the app's next ``mainloop()``).
    """
    for scenario, code in scenarios.items():
        for ending in endings:
            if ending == "never asked" and (
                _NAMES_D.search(code) or scenario.startswith("Dispatcher")
            ):
                continue
            if ending == "loop ended" and scenario == "Dispatcher.call(fn)":
                continue
            yield scenario, ending, code


def run_case(
    app: str,
    scenario: str,
    ending: str,
    code: str,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 90,
) -> subprocess.CompletedProcess[str]:
    """Run one case in a child process with the toolkit's ``app`` code; its outcome.

    The caller asserts ``returncode == 0``, an empty ``stderr`` and, unless the ending is
    ``"exit in flight"``, that ``stdout`` is the line ``exited cleanly``.
    """
    import os

    script = _SCRIPT.format(app=app)
    return subprocess.run(
        [sys.executable, "-c", script, scenario, ending, code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
        check=False,
    )


WORKERS = 4
"""How many cases' child processes :class:`CaseRuns` runs at once: they mostly wait (on
their work's events, the toolkit's timers, idle workers' timeouts), so a 2-core machine
runs four without a case's own timeouts coming near."""


class CaseRuns:
    """Run cases' child processes :data:`WORKERS` at a time; each case's outcome on demand.

    Every case starts at once (up to ``workers`` run concurrently, in order) and
    :meth:`result` waits for its own, so a suite keeps one test per case, naming its case,
    and takes about a ``workers``-th of the time. :meth:`close` cancels what has not
    started and waits for what runs.
    """

    def __init__(
        self,
        app: str,
        cases: Iterable[tuple[str, str, str]],
        *,
        env: Mapping[str, str] | None = None,
        workers: int = WORKERS,
        timeout: float = 90,
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="app-ends")
        self._runs: dict[tuple[str, str], Future[subprocess.CompletedProcess[str]]] = {}
        for scenario, ending, code in cases:
            self._runs[scenario, ending] = self._executor.submit(
                run_case, app, scenario, ending, code, env=env, timeout=timeout
            )

    def result(self, scenario: str, ending: str) -> subprocess.CompletedProcess[str]:
        """The case's outcome once its child has exited (raises as ``run_case`` raised)."""
        return self._runs[scenario, ending].result()

    def close(self) -> None:
        """Cancel the cases not started yet and wait for the running ones."""
        self._executor.shutdown(wait=True, cancel_futures=True)


def selected_cases(
    request: Any, test: str = "test_the_app_ends_cleanly"
) -> list[tuple[str, str, str]]:
    """The ``(scenario, ending, code)`` of the tests named ``test`` that this session runs.

    ``request`` is a pytest ``FixtureRequest`` from the test module: the cases come from its
    collected items (after ``-k`` and deselection), parametrized by ``scenario``, ``ending``
    and ``code``, so a module-scoped fixture starts only the cases that will be asked for.
    """
    chosen: list[tuple[str, str, str]] = []
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", None)
        if item.module is not request.module or getattr(item, "originalname", None) != test:
            continue
        if params is not None and {"scenario", "ending", "code"} <= params.keys():
            chosen.append((params["scenario"], params["ending"], params["code"]))
    return chosen


def assert_ended_cleanly(proc: subprocess.CompletedProcess[str], ending: str) -> None:
    """Fail unless the case's child exited 0, said nothing on stderr, and finished."""
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == "", proc.stderr[-3000:]
    if ending != "exit in flight":
        assert proc.stdout == "exited cleanly\n", proc.stdout[-3000:]


def pytest_suite(
    app: str, *, env: Mapping[str, str] | Callable[[Any], Mapping[str, str]] | None = None
) -> tuple[Any, Any, Any]:
    """The generated tests for one toolkit's ``app`` code, to bind in its test module.

    Returns ``(runs, test_every_entry_point_has_a_scenario, test_the_app_ends_cleanly)``:
    a module-scoped fixture running the selected cases' children (:class:`CaseRuns`, with
    ``env`` added to their environment; a callable gets the fixture's ``request``, to ask
    for other fixtures: ``{"DISPLAY": request.getfixturevalue("_display")}``), the check
    that every entry point has a scenario,
    and one test per ``(scenario, ending)`` (skipped as :func:`skip_reason` says). Bind them
    under these names: pytest finds tests and fixtures by name. Imports pytest.
    """
    import pytest

    @pytest.fixture(scope="module", name="runs")
    def runs(request: Any) -> Iterator[CaseRuns]:
        extra = env(request) if callable(env) else env
        started = CaseRuns(app, selected_cases(request), env=extra)
        yield started
        started.close()

    def test_every_entry_point_has_a_scenario() -> None:
        assert len(set(entry_points())) > 20, "the walk over __all__ found too little"
        assert missing_scenarios() == []

    reason = skip_reason()

    @pytest.mark.skipif(reason is not None, reason=str(reason))
    @pytest.mark.parametrize(
        ("scenario", "ending", "code"),
        [pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in cases()],
    )
    def test_the_app_ends_cleanly(runs: CaseRuns, scenario: str, ending: str, code: str) -> None:
        assert_ended_cleanly(runs.result(scenario, ending), ending)

    return runs, test_every_entry_point_has_a_scenario, test_the_app_ends_cleanly
