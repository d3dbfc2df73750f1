"""The wrong-thread checker's cost rows every toolkit's bench shares: the same work, off and on.

Each :class:`Case` is a piece of work timed with no check running (``off``) and inside
``ud.check_threads("record")`` (``on``), alternately, ``repeats`` times; a row reports
the medians in ms and their ratio ``on_off``, plus the violations the check recorded
(none is expected: every case is legal) and how calls were watched (``sys.monitoring``
on 3.12+, the toolkit parts' own hooks before). A case on a worker runs on a thread
started inside the check, as a check on 3.10/3.11 sees only those. On 3.10/3.11 each
worker case also gets a ``profile_threads=True`` row, the opt-in hook that reaches
Python-level calls there.

A backend's bench lists its cases (:func:`pure_python` is everyone's) and runs
:func:`child` in a fresh process, :func:`rows` from its parent. The rows carry
``family: "checker"``; the report shows them in their own table (``_bench_table``).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ._bench_workloads import CHECKER_FIELDS

__all__ = [
    "CHECKER_FIELDS",
    "Case",
    "CheckerSizes",
    "child",
    "measure",
    "note",
    "pure_python",
    "rows",
]

FAMILY = "checker"


@dataclass(frozen=True)
class CheckerSizes:
    """How much work each checker case does."""

    calls: int = 300_000
    """Iterations of the pure-Python loop."""
    toolkit_calls: int = 30_000
    """Toolkit calls per timing."""
    repeats: int = 5
    """Off/on pairs per case; each figure is their median."""


QUICK = CheckerSizes(calls=100_000, toolkit_calls=5_000, repeats=3)
TINY = CheckerSizes(calls=2_000, toolkit_calls=100, repeats=1)
"""For tests of the rows' shape: no figure means anything."""


@dataclass(frozen=True)
class Case:
    """One piece of work to time off and on."""

    name: str
    """The row's name (``checker: ...``)."""
    work: Callable[[], object]
    """The work; on :attr:`worker`, it runs on a fresh thread."""
    worker: bool
    """True: a worker thread's work; False: the UI (main) thread's."""


def pure_python(n: int) -> Case:
    """A worker's pure-Python loop of ``n`` function calls: what code touching no toolkit pays."""

    def step(x: int) -> int:
        return x * 2 + 1

    def work() -> object:
        total = 0
        for i in range(n):
            total += step(i)
        return total

    return Case("checker: worker pure-Python loop", work, worker=True)


def _timed(case: Case) -> float:
    """Seconds ``case.work`` takes, on its thread."""
    if not case.worker:
        t0 = time.perf_counter()
        case.work()
        return time.perf_counter() - t0
    took: list[float] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            t0 = time.perf_counter()
            case.work()
            took.append(time.perf_counter() - t0)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name="bench-worker")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return took[0]


def measure(case: Case, repeats: int, *, profile_threads: bool = False) -> dict[str, Any]:
    """Time ``case`` off and on, alternately; its row (without the name and kind)."""
    import uidispatch as ud

    from .._addons._threadcheck_hub import watch_kind

    case.work()  # warm up: imports, caches, the toolkit's first-call work
    offs: list[float] = []
    ons: list[float] = []
    violations = 0
    watch: str | None = None
    for _ in range(repeats):
        offs.append(_timed(case))
        with ud.check_threads("record", profile_threads=profile_threads) as chk:
            watch = watch_kind()
            ons.append(_timed(case))
        violations += len(chk.violations)
    off, on = statistics.median(offs) * 1000, statistics.median(ons) * 1000
    return {
        "off_ms": off,
        "on_ms": on,
        "on_off": on / off if off else None,
        "violations": violations,
        "watch": watch or "toolkit hooks",
    }


def child(cases: Sequence[Case], repeats: int) -> int:
    """A child process's work: every case's row, printed as one JSON list."""
    out = []
    profile = sys.version_info < (3, 12)  # 3.12+ watches every thread with sys.monitoring
    for case in cases:
        variants = [False, True] if case.worker and profile else [False]
        for profile_threads in variants:
            name = case.name + (" (profile_threads)" if profile_threads else "")
            row: dict[str, Any] = {"variant": name, "kind": "checker", "family": FAMILY}
            try:
                row.update(measure(case, repeats, profile_threads=profile_threads))
                row["error"] = None
            except Exception as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
            out.append(row)
    print(json.dumps(out), flush=True)
    return 0


def rows(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 300.0,
) -> list[dict[str, Any]]:
    """The checker rows from one fresh process: ``argv`` plus ``--checker``.

    A failed process becomes one row with the error.
    """
    try:
        proc = subprocess.run(
            [*argv, "--checker"], capture_output=True, text=True, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        why = f"timed out after {timeout:g} s"
    else:
        if proc.returncode == 0:
            found: list[dict[str, Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
            return found
        tail = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        why = f"exit status {proc.returncode}: {tail[:300]}"
    return [{"variant": "checker", "kind": "checker", "family": FAMILY, "error": why}]


def note(sizes: CheckerSizes) -> str:
    """The report note that says what the checker rows measure."""
    return (
        f"checker rows: the same work with ud.check_threads('record') off and on, medians of "
        f"{sizes.repeats} alternating pairs in one process; pure-Python loop: "
        f"{sizes.calls:,} function calls; toolkit calls: {sizes.toolkit_calls:,}; "
        "violations: what the check recorded (every case is legal: expected 0)"
    )
