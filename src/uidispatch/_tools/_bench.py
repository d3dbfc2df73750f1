"""``uidispatch bench``: run every backend's benchmark in fresh processes, merge, compare.

Each backend ships its own benchmark module (``uidispatch_NAME.bench``; the asyncio
backend's is ``uidispatch._tools._bench_asyncio``), run as ``python -m MODULE --json [--quick]``,
which prints one JSON object::

    {"backend": NAME, "notes": [...], "rows": [{"variant", "kind", "thr1", "thr4",
     "post_p50_us", "post_p99_us", "idle_p50_us", "idle_p99_us", "freeze_ms",
     "idle_wakeups_per_s", "error", ...}]}

and optionally, per row, the fields of ``_bench_table.EXTRA_FIELDS`` (``None`` where a
variant has no such path: the naive primitive has no ``key=``) and ``freeze_gaps_ms``,
the UI timer's gaps in ms during the single-producer flood (what charts draw; the merged
report keeps the timeline of the run whose ``freeze_ms`` is the median). The workloads
every bench module shares are in ``_bench_workloads``; the text tables in ``_bench_table``.

``kind`` is ``ours``, ``naive`` (the toolkit's own primitive, what ratios are taken
against), ``helper`` (the best existing helper library), ``floor`` (a pure-Python
handoff) or ``limit`` (a deque handed to a spinning consumer). Rows with a ``family``
are further measurements with their own naive row: ``aio`` (async/await on the UI thread,
``_bench_aio``) and ``checker`` (the wrong-thread checker's cost, ``_bench_checker``);
they have their own tables and never decide the exit status. Every run is a fresh
process, so one crashing primitive (superqt's ``ensure_main_thread`` under back-to-back
posting, BASELINES.md) or a missing module
becomes a row with an error, never a crash of the command. With ``--repeat N`` each
field is the median of N processes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Any, TextIO

from ._bench_table import (
    ALL_FIELDS,
    add_ratios,
    format_backend,
    format_report,
    is_number,
    main_rows,
)
from ._bench_workloads import FIELDS

__all__ = [
    "FIELDS",
    "bench_module",
    "default_backends",
    "format_backend",
    "run_backend",
    "run_bench",
]

NEEDS_DISPLAY = frozenset({"tk", "kivy", "gtk"})
Progress = Callable[[str], None]


def bench_module(name: str) -> str:
    """The module that benchmarks backend ``name``.

    The backend's ``BackendSpec.bench_module`` when it names one (the hook a third-party
    backend uses), else ``uidispatch_NAME.bench``.
    """
    if name == "asyncio":
        return "uidispatch._tools._bench_asyncio"
    from .._core._plugins import get_registry

    spec = get_registry().specs.get(name)
    if spec is not None and spec.bench_module:
        return spec.bench_module
    return f"uidispatch_{name}.bench"


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def default_backends() -> list[str]:
    """Installed backends whose toolkit imports here, except ``virtual`` (virtual time)."""
    from .._core._registry import backends

    return [
        name
        for name, info in backends().items()
        if info.loaded and name != "virtual" and all(_importable(m) for m in info.requires)
    ]


# ---------------------------------------------------------------------- running


def _pump(stream: IO[str], sink: list[str], echo: Progress | None, prefix: str) -> None:
    for line in stream:
        sink.append(line)
        if echo is not None:
            echo(prefix + line.rstrip("\n"))


def _parse(stdout: str) -> dict[str, Any]:
    text = stdout.strip()
    candidates = [text] + [ln for ln in reversed(text.splitlines()) if ln.startswith("{")]
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("rows"), list):
            return data
    raise ValueError(f"no JSON result on stdout (got {text[-200:]!r})")


def _run_once(
    argv: list[str], env: dict[str, str], timeout: float, progress: Progress | None
) -> dict[str, Any]:
    out: list[str] = []
    err: list[str] = []
    timed_out = False
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        readers = [
            threading.Thread(target=_pump, args=(proc.stdout, out, None, ""), daemon=True),
            threading.Thread(target=_pump, args=(proc.stderr, err, progress, "    "), daemon=True),
        ]
        for t in readers:
            t.start()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()  # the process we started, by its handle
            proc.wait()
            timed_out = True
        for t in readers:
            t.join(5)
    if timed_out:
        raise RuntimeError(f"timed out after {timeout:g} s")
    rc = proc.returncode
    tail = "".join(err[-6:]).strip()
    if rc < 0:
        try:
            sig = signal.Signals(-rc).name
        except ValueError:
            sig = f"signal {-rc}"
        raise RuntimeError(f"crashed with {sig}: {tail}")
    if rc != 0:
        raise RuntimeError(f"exit status {rc}: {tail}")
    return _parse("".join(out))


def _env_for(name: str) -> dict[str, str]:
    if name in NEEDS_DISPLAY:
        from ..testing._display import ensure_display

        ensure_display()  # sets DISPLAY (Xvfb) in os.environ when none is set
    env = dict(os.environ)
    if name == "qt":
        # A benchmark needs no visible window, and offscreen works with or without X.
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    if name == "kivy":
        env.setdefault("KIVY_NO_ARGS", "1")
        env.setdefault("KIVY_NO_CONSOLELOG", "1")
    return env


def run_backend(
    name: str,
    *,
    quick: bool = False,
    repeat: int = 1,
    timeout: float = 900.0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run ``name``'s bench module ``repeat`` times in fresh processes; merge by median.

    Never raises for a broken backend: the result then has ``error`` set (the module is
    missing, crashed, timed out or printed no JSON in every run).
    """
    from .._core import _compiled
    from .._core._registry import backends

    result: dict[str, Any] = {"backend": name, "rows": [], "notes": [], "runs": 0, "error": None}
    info = backends().get(name)
    if info is None or not info.loaded:
        installed = ", ".join(n for n, i in backends().items() if i.loaded) or "none"
        why = f" ({info.error})" if info is not None else ""
        result["error"] = f"backend {name!r} is not installed{why}; installed: {installed}"
        return result
    result["version"] = info.version
    module = bench_module(name)
    if not _importable(module):
        result["error"] = f"no benchmark module {module} (the backend's package ships none)"
        return result
    try:
        env = _env_for(name)
    except RuntimeError as exc:
        result["error"] = str(exc)
        return result
    argv = [sys.executable, "-m", module, "--json", *(["--quick"] if quick else [])]
    runs: list[dict[str, Any]] = []
    failures: list[str] = []
    for i in range(repeat):
        if progress is not None:
            progress(f"bench: {name} run {i + 1}/{repeat}: python -m {' '.join(argv[2:])}")
        t0 = time.monotonic()
        try:
            runs.append(_run_once(argv, env, timeout, progress))
        except (RuntimeError, ValueError, OSError) as exc:
            failures.append(str(exc))
            if progress is not None:
                progress(f"bench: {name} run {i + 1}/{repeat} failed: {exc}")
            continue
        if progress is not None:
            progress(f"bench: {name} run {i + 1}/{repeat} done in {time.monotonic() - t0:.1f} s")
    result["runs"] = len(runs)
    if not runs:
        result["error"] = failures[0] if failures else "no runs"
        return result
    result["rows"] = merge_rows([r["rows"] for r in runs])
    notes = [str(n) for n in runs[0].get("notes", [])]
    notes.append(f"uidispatch build: {_compiled.reason}")  # the child has the same environment
    if failures:
        notes.append(f"{len(failures)} of {repeat} runs failed: {failures[0]}")
    if len(runs) > 1:
        notes.append(f"median of {len(runs)} processes")
    result["notes"] = notes
    add_ratios(result["rows"])
    return result


def merge_rows(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Merge the rows of several runs by variant, each field the median of its numbers."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for rows in runs:
        for row in rows:
            merged.setdefault(str(row.get("variant")), []).append(row)
    out = []
    for variant, rows in merged.items():
        row = dict(rows[0])
        row["variant"] = variant
        for field in ALL_FIELDS:
            values = [r[field] for r in rows if is_number(r.get(field))]
            if values or field in FIELDS or field in row:
                row[field] = statistics.median(values) if values else None
        timed = sorted(
            (r for r in rows if is_number(r.get("freeze_ms")) and "freeze_gaps_ms" in r),
            key=lambda r: float(r["freeze_ms"]),
        )
        if timed:
            row["freeze_gaps_ms"] = timed[len(timed) // 2]["freeze_gaps_ms"]
        errors = [str(r["error"]) for r in rows if r.get("error")]
        ok = [r for r in rows if not r.get("error")]
        row["error"] = errors[0] if errors and not ok else None
        if errors and ok:
            row["failed_runs"] = len(errors)
        out.append(row)
    return out


def run_bench(
    names: Sequence[str],
    *,
    quick: bool = False,
    repeat: int = 1,
    timeout: float = 900.0,
    progress: Progress | None = None,
    skipped: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Benchmark each backend in ``names``; the merged, JSON-ready report.

    ``skipped`` (backend name -> why) is recorded in the report as it is.
    """
    from .. import __version__

    return {
        "uidispatch": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "quick": quick,
        "repeat": repeat,
        "backends": [
            run_backend(n, quick=quick, repeat=repeat, timeout=timeout, progress=progress)
            for n in names
        ],
        "skipped": dict(skipped or {}),
    }


def _failed(result: dict[str, Any]) -> bool:
    if result.get("error"):
        return True
    # The posting rows decide; a family's row (guest-mode async, checker) shows its error.
    ours = [r for r in main_rows(result.get("rows", [])) if r.get("kind") == "ours"]
    return not ours or any(r.get("error") for r in ours)


def run_bench_cli(
    out: TextIO,
    err: TextIO,
    *,
    names: Sequence[str] | None,
    as_json: bool,
    quick: bool,
    repeat: int | None,
    timeout: float | None,
    plot: str | None = None,
    from_json: str | None = None,
) -> int:
    """``uidispatch bench``: exit status 0 when every backend's own variant ran, else 1.

    ``plot``: a directory to write SVG charts into; ``from_json``: a report saved with
    ``--json`` to show (and plot) instead of running anything.
    """
    if from_json is not None:
        try:
            with open(from_json, encoding="utf-8") as f:
                saved = json.load(f)
        except (OSError, ValueError) as exc:
            print(f"bench: cannot read --from {from_json!r}: {exc}", file=err)
            return 2
        if not isinstance(saved, dict) or not isinstance(saved.get("backends"), list):
            print(f"bench: --from {from_json!r} is not a report saved with --json", file=err)
            return 2
        return _finish(saved, out, err, as_json=as_json, plot=plot)
    if plot is not None and not _importable("matplotlib"):
        print("bench: --plot needs matplotlib: pip install 'uidispatch[bench]'", file=err)
        return 2
    if repeat is None:
        repeat = 1 if quick else 3
    if timeout is None:
        timeout = 300.0 if quick else 900.0
    selected: list[str] = []
    skipped: dict[str, str] = {}
    if names:
        for item in names:
            selected.extend(n.strip() for n in item.split(",") if n.strip())
    else:
        # Asked for nothing in particular: measure what can be measured, and say what not.
        for name in default_backends():
            if _importable(bench_module(name)):
                selected.append(name)
            else:
                skipped[name] = f"no benchmark module {bench_module(name)}"

    def progress(msg: str) -> None:
        print(msg, file=err, flush=True)

    if not selected:
        print("bench: no usable backend installed (see: python -m uidispatch doctor)", file=err)
        return 1
    report = run_bench(
        selected,
        quick=quick,
        repeat=repeat,
        timeout=timeout,
        progress=progress,
        skipped=skipped,
    )
    return _finish(report, out, err, as_json=as_json, plot=plot)


def _finish(
    report: dict[str, Any], out: TextIO, err: TextIO, *, as_json: bool, plot: str | None
) -> int:
    if as_json:
        json.dump(report, out, indent=2)
        out.write("\n")
    else:
        out.write(format_report(report))
    if plot is not None:
        from pathlib import Path

        from ._bench_plot import plot_report

        try:
            for line in plot_report(report, Path(plot)):
                print(f"bench: {line}", file=err)
        except (RuntimeError, OSError) as exc:
            print(f"bench: --plot: {exc}", file=err)
            return 2
    return 1 if any(_failed(b) for b in report["backends"]) else 0
