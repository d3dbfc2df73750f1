"""``uidispatch bench --plot DIR``: SVG charts drawn from a bench report.

Two charts, both from the JSON report ``uidispatch bench --json`` prints (so a recorded run
can be drawn again with ``--from FILE``):

- ``throughput.svg``: every variant's throughput as a ratio to its toolkit's naive primitive
  measured in the same run, one group of bars per backend (log scale, 1x marked).
- ``freeze.svg``: the UI timer's gaps during the 100,000-call flood, uidispatch against the
  naive primitive, one panel per backend, so a frozen UI shows as a spike. Drawn from each
  row's ``freeze_gaps_ms`` (the gap of every tick of the 10 ms timer, in order); backends
  whose bench records no timeline are left out of it and named.

matplotlib is an optional extra (``pip install uidispatch[bench]``): the core depends on
pluggy alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["TIMELINE_FIELD", "plot_report"]

TIMELINE_FIELD = "freeze_gaps_ms"
_THROUGHPUT_FIELDS = (("thr1", "1 producer"), ("thr4", "4 producers"))
_OURS = "#3f51b5"
_NAIVE = "#c62828"
_OTHER = "#9e9e9e"


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError(
            "bench --plot needs matplotlib: pip install 'uidispatch[bench]'"
        ) from None
    matplotlib.use("Agg")  # files only: never a window, works without a display
    matplotlib.rcParams["svg.hashsalt"] = "uidispatch"  # same input, same SVG
    import matplotlib.pyplot as plt

    return plt


def _ok_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    if result.get("error"):
        return []
    return [r for r in result.get("rows", []) if not r.get("error")]


def _naive(rows: Sequence[dict[str, Any]], loop: object = None) -> dict[str, Any] | None:
    """The naive row of ``loop`` (pygame measures a frame and a wait loop), or the first."""
    same = [r for r in rows if r.get("kind") == "naive" and r.get("loop") == loop]
    return same[0] if same else next((r for r in rows if r.get("kind") == "naive"), None)


def _ratio(row: dict[str, Any], naive: dict[str, Any], field: str) -> float | None:
    a, b = row.get(field), naive.get(field)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > 0 and b > 0:
        return float(a) / float(b)
    return None


def _color(kind: object) -> str:
    return _OURS if kind == "ours" else _NAIVE if kind == "naive" else _OTHER


def _subtitle(report: dict[str, Any]) -> str:
    repeat = report.get("repeat", 1)
    runs = f"median of {repeat} processes" if repeat and repeat > 1 else "1 process"
    quick = ", quick run" if report.get("quick") else ""
    return (
        f"uidispatch {report.get('uidispatch', '?')}, Python {report.get('python', '?')}, "
        f"{runs}{quick}"
    )


def throughput_chart(report: dict[str, Any], path: Path) -> bool:
    """Bars of throughput / naive throughput per variant and backend; False if no data."""
    groups: list[tuple[str, list[tuple[str, str, float, float | None]]]] = []
    for result in report.get("backends", []):
        rows = _ok_rows(result)
        naive = _naive(rows)
        if naive is None:
            continue
        bars = []
        for row in rows:
            base = _naive(rows, row.get("loop")) or naive
            r1 = _ratio(row, base, "thr1")
            if r1 is None:
                continue
            bars.append(
                (str(row.get("variant")), str(row.get("kind")), r1, _ratio(row, base, "thr4"))
            )
        if bars:
            groups.append((str(result.get("backend")), bars))
    if not groups:
        return False
    plt = _pyplot()
    height = sum(len(bars) for _, bars in groups) * 0.34 + len(groups) * 0.5 + 1.2
    fig, ax = plt.subplots(figsize=(8.5, height))
    y = 0.0
    ticks: list[float] = []
    labels: list[str] = []
    for backend, bars in reversed(groups):  # barh draws upwards: first backend on top
        for variant, kind, r1, r4 in reversed(bars):
            ax.barh(y, r1, height=0.6, color=_color(kind))
            if r4 is not None:
                ax.plot([r4], [y], marker="|", markersize=11, color="black")
            ax.annotate(
                f"{r1:.2g}x" if r1 < 10 else f"{r1:.0f}x",
                (r1, y),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
            ticks.append(y)
            labels.append(f"{backend}: {variant}")
            y += 1.0
        y += 0.7
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("throughput / the toolkit's naive primitive, same run (bar: 1 producer, tick: 4)")
    ax.set_title(
        "Throughput against each toolkit's own primitive\n" + _subtitle(report), fontsize=10
    )
    ax.grid(axis="x", which="both", alpha=0.25)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return True


def freeze_chart(report: dict[str, Any], path: Path) -> tuple[bool, list[str]]:
    """UI timer gaps during the flood, ours against naive, per backend.

    Returns whether a chart was written and the backends left out (no timeline recorded).
    """
    panels: list[tuple[str, list[tuple[str, str, list[float]]]]] = []
    missing: list[str] = []
    for result in report.get("backends", []):
        rows = _ok_rows(result)
        series = []
        for row in rows:
            gaps = row.get(TIMELINE_FIELD)
            if row.get("kind") in ("ours", "naive") and isinstance(gaps, list) and gaps:
                series.append(
                    (str(row.get("variant")), str(row.get("kind")), [float(g) for g in gaps])
                )
        # One line each for the plain uidispatch variant and the naive primitive.
        picked = [next((s for s in series if s[1] == k), None) for k in ("ours", "naive")]
        chosen = [s for s in picked if s is not None]
        if chosen:
            panels.append((str(result.get("backend")), chosen))
        elif rows:
            missing.append(str(result.get("backend")))
    if not panels:
        return False, missing
    plt = _pyplot()
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(8.5, 2.3 * len(panels) + 0.8), squeeze=False, sharex=False
    )
    for ax, (backend, series) in zip((a[0] for a in axes), panels, strict=True):
        top = 0.0
        for variant, kind, gaps in series:
            t = 0.0
            xs = []
            for g in gaps:
                t += g
                xs.append(t / 1000.0)
            ax.plot(
                xs,
                gaps,
                color=_color(kind),
                linewidth=1.0,
                label=f"{variant} (max {max(gaps):.0f} ms)",
            )
            top = max(top, max(gaps))
        ax.axhline(10.0, color="black", linewidth=0.6, linestyle=":")
        ax.set_ylim(0, max(30.0, top * 1.1) if math.isfinite(top) else 30.0)
        ax.set_title(backend, fontsize=9, loc="left")
        ax.set_ylabel("timer gap (ms)", fontsize=8)
        ax.legend(fontsize=8, loc="upper right")
        ax.grid(alpha=0.25)
    axes[-1][0].set_xlabel("time since the flood started (s); dotted: the timer's 10 ms period")
    fig.suptitle(
        "A 10 ms UI timer while one worker posts 100,000 calls\n" + _subtitle(report), fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return True, missing


def plot_report(report: dict[str, Any], directory: Path) -> list[str]:
    """Write the charts for ``report`` into ``directory``; lines saying what was written.

    Raises ``RuntimeError`` when matplotlib is not installed.
    """
    _pyplot()  # fail first, and clearly, without matplotlib
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    thr = directory / "throughput.svg"
    if throughput_chart(report, thr):
        lines.append(f"wrote {thr}")
    else:
        lines.append("throughput.svg: no backend has a naive row to compare with")
    freeze = directory / "freeze.svg"
    wrote, missing = freeze_chart(report, freeze)
    lines.append(f"wrote {freeze}" if wrote else "freeze.svg: no backend recorded a timeline")
    if missing:
        lines.append(f"freeze.svg leaves out (no timeline recorded): {', '.join(missing)}")
    return lines
