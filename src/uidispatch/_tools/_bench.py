"""``uidispatch bench``: run every backend's benchmark in fresh processes, merge, compare.

Each backend ships its own benchmark module (``uidispatch_NAME.bench``; the asyncio
backend's is ``uidispatch._tools._bench_asyncio``), run as ``python -m MODULE --json [--quick]``,
which prints one JSON object::

    {"backend": NAME, "notes": [...], "rows": [{"variant", "kind", "thr1", "thr4",
     "post_p50_us", "post_p99_us", "idle_p50_us", "idle_p99_us", "freeze_ms",
     "idle_wakeups_per_s", "error", ...}]}

and optionally, per row, the fields of ``EXTRA_FIELDS`` (``None`` where a variant has no
such path: the naive primitive has no ``key=``) and ``freeze_gaps_ms``, the UI timer's
gaps in ms during the single-producer flood (what charts draw; the merged report keeps
the timeline of the run whose ``freeze_ms`` is the median).

``kind`` is ``ours``, ``naive`` (the toolkit's own primitive, what ratios are taken
against), ``helper`` (the best existing helper library), ``floor`` (a pure-Python
handoff) or ``limit`` (a deque handed to a spinning consumer). Every run is a fresh
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
from typing import IO, Any, TextIO, TypeGuard

__all__ = ["bench_module", "default_backends", "format_backend", "run_backend", "run_bench"]

FIELDS = (
    "thr1",
    "thr4",
    "post_p50_us",
    "post_p99_us",
    "idle_p50_us",
    "idle_p99_us",
    "freeze_ms",
    "idle_wakeups_per_s",
)
# Issue 16's measurements: unique-key throughput and post time, and the longest UI timer
# gap (ms) while 8 producers flood on each posting path, with the longest drain of the
# bounded one.
EXTRA_FIELDS = (
    "thr_key",
    "post_key_p50_us",
    "post_key_p99_us",
    "freeze8_ms",
    "freeze8_owner_ms",
    "freeze8_key_ms",
    "freeze8_bounded_ms",
    "drain8_bounded_ms",
)
ALL_FIELDS = FIELDS + EXTRA_FIELDS
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
    _add_ratios(result["rows"])
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
            values = [r[field] for r in rows if _is_number(r.get(field))]
            if values or field in FIELDS or field in row:
                row[field] = statistics.median(values) if values else None
        timed = sorted(
            (r for r in rows if _is_number(r.get("freeze_ms")) and "freeze_gaps_ms" in r),
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


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _add_ratios(rows: list[dict[str, Any]]) -> None:
    naive = next((r for r in rows if r.get("kind") == "naive" and not r.get("error")), None)
    if naive is None:
        return
    for row in rows:
        ratios = {}
        for field in ALL_FIELDS:
            a, b = row.get(field), naive.get(field)
            if _is_number(a) and _is_number(b) and b:
                ratios[field] = a / b
        row["vs_naive"] = ratios


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


# ---------------------------------------------------------------------- table


def _si(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e3:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio(row: dict[str, Any], field: str) -> str:
    r = row.get("vs_naive", {}).get(field)
    if r is None:
        return ""
    if r >= 100:
        return f" x{r:,.0f}"
    if r >= 10:
        return f" x{r:.1f}"
    return f" x{r:.2f}" if r >= 0.01 else " x<0.01"


def _cell(row: dict[str, Any], field: str, fmt: Callable[[float], str]) -> str:
    v = row.get(field)
    return fmt(v) if _is_number(v) else "-"


def format_backend(result: dict[str, Any]) -> str:
    """One backend's result as a text table with ratios to its ``naive`` row."""
    name = result.get("backend", "?")
    rows = result.get("rows") or []
    if "vs_naive" not in (rows[0] if rows else {}):
        _add_ratios(rows)
    naive = next((r["variant"] for r in rows if r.get("kind") == "naive"), None)
    title = f"{name}"
    if result.get("version"):
        title += f" {result['version']}"
    if result.get("error"):
        return f"{title}: error: {result['error']}\n"
    head = (
        f"{'variant':<28} {'kind':<6} {'thr 1 prod':>15} {'thr 4 prod':>15} "
        f"{'post p50/p99 us':>22} {'idle p50/p99 us':>22} {'freeze ms':>15} {'idle wake/s':>11}"
    )
    lines = [
        f"{title}" + (f"  (xN = value / {naive})" if naive else "  (no naive row: no ratios)"),
        head,
        "-" * len(head),
    ]
    for row in rows:
        variant, kind = str(row.get("variant")), str(row.get("kind"))
        if row.get("error"):
            lines.append(f"{variant:<28} {kind:<6} error: {row['error']}")
            continue
        thr1 = _cell(row, "thr1", _si) + _ratio(row, "thr1")
        thr4 = _cell(row, "thr4", _si) + _ratio(row, "thr4")
        post = f"{_cell(row, 'post_p50_us', _num)}/{_cell(row, 'post_p99_us', _num)}" + _ratio(
            row, "post_p99_us"
        )
        idle = f"{_cell(row, 'idle_p50_us', _num)}/{_cell(row, 'idle_p99_us', _num)}" + _ratio(
            row, "idle_p50_us"
        )
        freeze = _cell(row, "freeze_ms", _num) + _ratio(row, "freeze_ms")
        wake = _cell(row, "idle_wakeups_per_s", _num)
        lines.append(
            f"{variant:<28} {kind:<6} {thr1:>15} {thr4:>15} {post:>22} {idle:>22} "
            f"{freeze:>15} {wake:>11}"
        )
        if row.get("failed_runs"):
            lines.append(f"{'':<35}({row['failed_runs']} run(s) of this variant failed)")
    lines.extend(_extra_table(rows))
    lines.extend(f"  note: {n}" for n in result.get("notes", []))
    return "\n".join(lines) + "\n"


def _extra_table(rows: list[dict[str, Any]]) -> list[str]:
    """Issue 16's columns, for the rows that have any of them."""
    rows = [
        r for r in rows if not r.get("error") and any(_is_number(r.get(f)) for f in EXTRA_FIELDS)
    ]
    if not rows:
        return []
    head = (
        f"{'variant':<28} {'thr key':>14} {'post key p50/p99 us':>22} "
        f"{'8-producer freeze ms: plain':>29} {'owner=':>10} {'key=':>10} {'bounded':>10} "
        f"{'drain ms':>9}"
    )
    lines = ["", head, "-" * len(head)]
    for row in rows:
        thr = _cell(row, "thr_key", _si)
        post = f"{_cell(row, 'post_key_p50_us', _num)}/{_cell(row, 'post_key_p99_us', _num)}"
        lines.append(
            f"{row.get('variant')!s:<28} {thr:>14} {post:>22} "
            f"{_cell(row, 'freeze8_ms', _num) + _ratio(row, 'freeze8_ms'):>29} "
            f"{_cell(row, 'freeze8_owner_ms', _num):>10} {_cell(row, 'freeze8_key_ms', _num):>10} "
            f"{_cell(row, 'freeze8_bounded_ms', _num):>10} "
            f"{_cell(row, 'drain8_bounded_ms', _num):>9}"
        )
    return lines


def format_report(report: dict[str, Any]) -> str:
    """The whole report as text: a header and one table per backend."""
    parts = [
        f"uidispatch {report['uidispatch']} bench, Python {report['python']}, "
        f"{report['platform']}{', quick' if report['quick'] else ''}; "
        "thr in calls/s (higher is better), times lower is better\n"
    ]
    parts.extend(format_backend(b) for b in report["backends"])
    for name, why in report.get("skipped", {}).items():
        parts.append(f"{name}: skipped: {why}\n")
    return "\n".join(parts)


def _failed(result: dict[str, Any]) -> bool:
    if result.get("error"):
        return True
    ours = [r for r in result.get("rows", []) if r.get("kind") == "ours"]
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
