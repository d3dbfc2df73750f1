"""``uidispatch bench``'s text tables: each backend's rows with ratios to its naive row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeGuard

from ._bench_workloads import AIO_FIELDS, CHECKER_FIELDS, FIELDS, KEY_FIELDS, PATH_FIELDS

__all__ = [
    "ALL_FIELDS",
    "EXTRA_FIELDS",
    "add_ratios",
    "family_tables",
    "format_backend",
    "format_report",
    "is_number",
    "main_rows",
]

# The many-producer measurements: unique-key throughput and post time, and the longest UI timer
# gap (ms) while 8 producers flood on each posting path, with the longest drain of the
# bounded one; then the figures of the row families (guest-mode async, the checker's cost).
EXTRA_FIELDS = KEY_FIELDS + PATH_FIELDS
ALL_FIELDS = FIELDS + EXTRA_FIELDS + AIO_FIELDS + CHECKER_FIELDS


def is_number(value: object) -> TypeGuard[float]:
    """A real number, not NaN (nor a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def main_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the posting benchmark itself: those of no ``family``."""
    return [r for r in rows if not r.get("family")]


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """Set each row's ``vs_naive``: its numbers divided by its ``naive`` row's.

    A row with a ``family`` (``aio``, ``checker``) is compared with that family's naive
    row, the others with the backend's own naive primitive; a row with a ``loop`` (pygame's
    ``frame`` and ``wait``) with the naive row of the same loop.
    """
    for group_key in dict.fromkeys(_group_key(r) for r in rows):
        group = [r for r in rows if _group_key(r) == group_key]
        naive = next((r for r in group if r.get("kind") == "naive" and not r.get("error")), None)
        if naive is None:
            continue
        for row in group:
            ratios = {}
            for field in ALL_FIELDS:
                a, b = row.get(field), naive.get(field)
                if is_number(a) and is_number(b) and b:
                    ratios[field] = a / b
            row["vs_naive"] = ratios


def _group_key(row: dict[str, Any]) -> tuple[Any, Any]:
    return row.get("family"), row.get("loop")


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
    return fmt(v) if is_number(v) else "-"


def format_backend(result: dict[str, Any]) -> str:
    """One backend's result as a text table with ratios to its ``naive`` row."""
    name = result.get("backend", "?")
    every = result.get("rows") or []
    if "vs_naive" not in (every[0] if every else {}):
        add_ratios(every)
    rows = main_rows(every)
    naives = [str(r["variant"]) for r in rows if r.get("kind") == "naive"]
    naive = " / ".join(naives) if len(naives) > 1 else (naives[0] if naives else None)
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
    lines.extend(family_tables(every))
    lines.extend(f"  note: {n}" for n in result.get("notes", []))
    return "\n".join(lines) + "\n"


def _extra_table(rows: list[dict[str, Any]]) -> list[str]:
    """The many-producer columns, for the rows that have any of them."""
    rows = [
        r for r in rows if not r.get("error") and any(is_number(r.get(f)) for f in EXTRA_FIELDS)
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


def family_tables(rows: list[dict[str, Any]]) -> list[str]:
    """The tables of the row families a backend has: guest-mode async, the checker's cost."""
    lines: list[str] = []
    aio = [r for r in rows if r.get("family") == "aio"]
    if aio:
        naive = next((r["variant"] for r in aio if r.get("kind") == "naive"), None)
        head = (
            f"{'async on the UI thread':<28} {'kind':<6} {'awaits/s':>15} "
            f"{'update+await/s':>15} {'gap ms (10k awaits)':>20} {'idle wake/s':>11}"
        )
        lines += ["", head + (f"  (xN = value / {naive})" if naive else ""), "-" * len(head)]
        for row in aio:
            variant, kind = str(row.get("variant")), str(row.get("kind"))
            if row.get("error"):
                lines.append(f"{variant:<28} {kind:<6} error: {row['error']}")
                continue
            awaits = _cell(row, "aio_awaits_per_s", _si) + _ratio(row, "aio_awaits_per_s")
            updates = _cell(row, "aio_updates_per_s", _si) + _ratio(row, "aio_updates_per_s")
            gap = _cell(row, "aio_gap_ms", _num) + _ratio(row, "aio_gap_ms")
            wake = _cell(row, "aio_idle_wakeups_per_s", _num)
            lines.append(f"{variant:<28} {kind:<6} {awaits:>15} {updates:>15} {gap:>20} {wake:>11}")
    checker = [r for r in rows if r.get("family") == "checker"]
    if checker:
        head = (
            f"{'wrong-thread checker cost':<54} {'off ms':>9} {'on ms':>9} {'on/off':>7} "
            f"{'violations':>10}  watch"
        )
        lines += ["", head, "-" * len(head)]
        for row in checker:
            variant = str(row.get("variant"))
            if row.get("error"):
                lines.append(f"{variant:<54} error: {row['error']}")
                continue
            lines.append(
                f"{variant:<54} {_cell(row, 'off_ms', _num):>9} {_cell(row, 'on_ms', _num):>9} "
                f"{_cell(row, 'on_off', lambda v: f'x{v:.2f}'):>7} "
                f"{row.get('violations', '-')!s:>10}  {row.get('watch', '-')}"
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
