"""``Pool.report()``: the pool's health as a plain-text table."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher, DispatchStats
    from .._services._opstats import OperationStats
    from ._pool import PoolStats

__all__ = ["render"]

_COLUMNS = (
    ("operation", "<"),
    ("calls", ">"),
    ("ok", ">"),
    ("failed", ">"),
    ("timeout", ">"),
    ("cancel", ">"),
    ("retried", ">"),
    ("running", ">"),
    ("mean", ">"),
    ("p50", ">"),
    ("p95", ">"),
    ("max", ">"),
    ("last error", "<"),
)
_MAX_NAME = 40
_MAX_ERROR = 60


def render(
    name: str,
    stats: PoolStats,
    dispatcher: Dispatcher | None,
    closed: DispatchStats | None = None,
) -> str:
    """The report: operations slowest first (by p95, then max), then pool and dispatcher.

    ``closed``: the figures of the dispatcher the pool delivered to, once it closed with
    its app (the pool no longer holds it).
    """
    ops = sorted(stats.operations.values(), key=lambda o: (-o.p95_s, -o.max_s, o.name))
    lines = [f"uidispatch pool {name!r}: {len(ops)} operation(s)"]
    if ops:
        rows = [[title for title, _ in _COLUMNS], *(_row(op) for op in ops)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
        for row in rows:
            cells = [
                f"{cell:{align}{width}}"
                for cell, (_, align), width in zip(row, _COLUMNS, widths, strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
    else:
        lines.append("(no task submitted yet)")
    lines.append(
        f"pool: {stats.submitted} submitted, {stats.completed} done, {stats.failed} failed, "
        f"{stats.cancelled} cancelled, {stats.retried} retried; {stats.running} running, "
        f"{stats.queued} queued (max {stats.max_queued}); {stats.workers} worker thread(s)"
        + ("; PAUSED by the error cooldown" if stats.paused else "")
    )
    ds: DispatchStats | None = closed
    state = "closed with its app"
    if dispatcher is not None:
        ds, state = dispatcher.stats(), "closed" if dispatcher.closed else "open"
    if ds is None:
        lines.append("dispatcher: none bound yet")
    else:
        lines.append(
            f"dispatcher ({state}): {ds.executed} run, {ds.pending} pending "
            f"(max {ds.max_pending}), {ds.dropped} dropped, {ds.coalesced} coalesced, "
            f"{ds.errors} errors; wake latency p50 {ds.latency_p50_ms:.1f} ms, "
            f"p99 {ds.latency_p99_ms:.1f} ms; longest drain {ds.max_drain_ms:.1f} ms"
        )
    return "\n".join(lines)


def _cell(text: str, limit: int) -> str:
    """``text`` on one line of printable characters, at most ``limit`` of them.

    Names and error messages come from the app and the outside world: a newline would
    split a row (or forge one), escapes and CR would reach the terminal or the log, and a
    lone surrogate (a file name that is not UTF-8) would make the report unencodable.
    """
    if not text.isprintable():
        text = "".join(
            ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
        )
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _row(op: OperationStats) -> list[str]:
    error = _cell(op.last_error or "", _MAX_ERROR)
    return [
        _cell(op.name, _MAX_NAME),
        str(op.submitted),
        str(op.succeeded),
        str(op.failed),
        str(op.timed_out),
        str(op.cancelled),
        str(op.retried),
        str(op.running),
        _seconds(op.mean_s),
        _seconds(op.p50_s),
        _seconds(op.p95_s),
        _seconds(op.max_s),
        error,
    ]


def _seconds(value: float) -> str:
    if value == 0:
        return "-"
    if value < 0.001:
        return f"{value * 1e6:.0f}us"
    if value < 1.0:
        return f"{value * 1000:.1f}ms"
    return f"{value:.2f}s"
