"""``demo --selftest SECONDS``: drive the demo by script, check what happened, exit 0 or 1.

The same script on every toolkit: it acts on the :class:`DemoModel` (types through the
view's search box), every step is a ``call_later`` timer on the main loop, and the checks
poll until they all pass or the time is up. Used by the tests, by CI and to take the
documentation's screenshots.

The run is also a wrong-thread check: ``check_threads(mode="raise")`` is on from the
script's start to its end, so a widget touched from a worker (by the demo, the view or
uidispatch) raises in that worker and fails the self-test with the report.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from ..._addons._threadcheck import ThreadChecker, check_threads
from ._model import FLOOD_CALLS, DemoModel

__all__ = ["QUERY", "SelfTest"]

QUERY = "imp"
MORE = "o"  # typed once the first search runs: the second search restarts it
COUNT, TICK = 5, 0.05  # the countdown: from 5, 20 ticks a second (1 a second by hand)


class SelfTest:
    """Scripted run of a :class:`DemoModel`; ``status`` is the exit status once it finished.

    ``on_finished()`` runs last (the view closes its window there).
    """

    def __init__(
        self,
        model: DemoModel,
        limit: float,
        screenshot: str | None,
        on_finished: Callable[[], object],
        out: TextIO = sys.stdout,
    ) -> None:
        self.model = model
        self.limit = limit
        self.screenshot = screenshot
        self.on_finished = on_finished
        self.out = out
        self.status = 1
        self.done = False
        self.t0 = time.monotonic()
        self.stage = "starting"
        self.size: tuple[int, int] | None = None
        self.grew_to: tuple[int, int] | None = None
        self.checker: ThreadChecker | None = None
        self.checks: list[tuple[str, Callable[[], bool]]] = [
            ("two tasks finished", self._finished),
            ("cancelled task resolved as cancelled", self._cancelled),
            ("long task shows progress", self._running),
            ("search debounced: 4 keystrokes, 2 searches", self._debounced),
            ('newer search cancelled the running one (if_running="restart")', self._restarted),
            ("busy spinner: pool.on_busy reported idle, then busy", self._busy),
            (f"plain flood: {FLOOD_CALLS:,} calls ran", self._flooded),
            (f"keyed flood coalesced, last value {FLOOD_CALLS - 1:,}", self._coalesced),
            ("0.5 s block reported as a stall with its duration", self._stall),
            ("health report (pool.report()) lists each operation", self._health),
            ("no toolkit call off the UI thread (check_threads)", self._right_threads),
        ]
        if model.aio.error is None:  # else the report says why the panel is off
            self.checks[-1:-1] = [
                ("async echo: a line sent to the local asyncio server came back", self._echoed),
                ("async countdown restarted, then reached 0 once (asyncio.sleep)", self._counted),
            ]

    # ------------------------------------------------------------------ script

    def start(self) -> None:
        """Schedule the script on the app's main loop. Main thread."""
        later = self.model.d.call_later
        self.checker = check_threads(mode="raise")
        self.t0 = time.monotonic()
        self.size = self.model.view.size()
        if self.size is not None:
            self.checks.append(("window keeps its size while content changes", self._same_size))
        later(0.2, self.model.start_tasks)
        for i in range(len(QUERY)):
            later(0.4 + 0.06 * i, self._type, QUERY[: i + 1])
        later(0.5, self._when, lambda: self.model.search.count >= 1, self._type_more)
        later(0.9, self._cancel_third)
        later(1.2, self._flood_then_more)
        later(0.3, self._async_panel)
        later(0.3, self._poll)

    def _type(self, text: str) -> None:
        self.stage = "typing"
        self.model.view.set_query(text)
        self.model.on_query(text)

    def _type_more(self) -> None:
        self._type(QUERY + MORE)

    def _cancel_third(self) -> None:
        if len(self.model.rows) >= 3:
            self.model.cancel_task(self.model.rows[2])

    def _flood_then_more(self) -> None:
        self.stage = "plain flood"
        self.model.flood_plain()
        self._when(lambda: "seconds" in self.model.floods.get("plain", {}), self._keyed)

    def _keyed(self) -> None:
        self.stage = "keyed flood"
        self.model.flood_keyed()
        self._when(lambda: "seconds" in self.model.floods.get("keyed", {}), self._block)

    def _block(self) -> None:
        self.stage = "blocking the UI"
        # Let a heartbeat through first, so the block is a stall of its own.
        self.model.d.call_later(0.3, self.model.block_ui)
        self.stage = "checking"

    def _async_panel(self) -> None:
        panel = self.model.aio
        panel.echo()
        panel.count_down(COUNT, TICK)
        # Pressed again mid-way: the running countdown is cancelled, a new one starts.
        self.model.d.call_later(2.5 * TICK, panel.count_down, COUNT, TICK)

    def _when(self, predicate: Callable[[], bool], then: Callable[[], None]) -> None:
        if predicate():
            then()
        else:
            self.model.d.call_later(0.05, self._when, predicate, then)

    # ------------------------------------------------------------------ checks

    def _row(self, i: int) -> str:
        rows = self.model.rows
        return rows[i].outcome if len(rows) > i else "missing"

    def _finished(self) -> bool:
        return self._row(0) == "done" and self._row(1) == "done"

    def _cancelled(self) -> bool:
        return self._row(2) == "cancelled"

    def _running(self) -> bool:
        rows = self.model.rows
        return len(rows) > 3 and rows[3].outcome == "running" and rows[3].value > 0

    def _debounced(self) -> bool:
        m = self.model
        query = QUERY + MORE
        return (
            m.keystrokes == len(query)
            and m.search.count == 2
            and bool(m.search_results)
            and all(query in w.lower() for w in m.search_results)
        )

    def _restarted(self) -> bool:
        return self.model.search_restarts >= 1

    def _busy(self) -> bool:
        return self.model.busy_changes[:2] == [False, True]

    def _flooded(self) -> bool:
        return self.model.flood_ran == FLOOD_CALLS

    def _coalesced(self) -> bool:
        m = self.model
        keyed = m.floods.get("keyed", {})
        return (
            "seconds" in keyed
            and m.keyed_last == FLOOD_CALLS - 1
            and m.keyed_ran < FLOOD_CALLS
            and keyed["coalesced"] > 0
        )

    def _same_size(self) -> bool:
        # Sticky: a window that grew and shrank back still failed.
        size = self.model.view.size()
        if size != self.size and self.grew_to is None:
            self.grew_to = size
        return self.grew_to is None

    def _stall(self) -> bool:
        return any(i.ended and i.duration >= 0.4 for i in self.model.stall_infos)

    def _health(self) -> bool:
        m = self.model
        report = m.pool.report()  # one row per operation, under its name
        return all(op.stats.name in report for op in (m.search, m.crunch))

    def _echoed(self) -> bool:
        panel = self.model.aio
        return bool(panel.replies) and panel.replies == panel.sent[: len(panel.replies)]

    def _counted(self) -> bool:
        panel = self.model.aio
        return panel.restarts == 1 and panel.zeros == 1

    def _right_threads(self) -> bool:
        return self.checker is None or not self.checker.violations

    def _poll(self) -> None:
        results = [(name, check()) for name, check in self.checks]
        if not self._right_threads():
            self._finish(results)  # failed for good: no need to wait for the rest
            return
        if all(ok for _, ok in results):
            # A moment for the indicator and labels to paint before the screenshot.
            self.model.d.call_later(0.4, self._finish, results)
            return
        if time.monotonic() - self.t0 > self.limit:
            self._finish(results, timed_out=True)
            return
        self.model.d.call_later(0.1, self._poll)

    def _finish(self, results: list[tuple[str, bool]], timed_out: bool = False) -> None:
        ok = self._report(results, timed_out=timed_out)
        self._stop_checker()
        self.model.watch.stop()
        if self.screenshot:
            error = self.model.view.capture(self.screenshot)
            if error is None:
                self.out.write(f"  screenshot: {self.screenshot}\n")
            else:
                self.out.write(f"  FAIL screenshot: {error}\n")
                ok = False
        self.done = True
        self.model.close()
        if self.model.aio.run is not None:  # closing the window must end the async run
            ended = self.model.aio.ended
            ok = ok and ended
            self.out.write(
                f"  {'ok  ' if ended else 'FAIL'} async run ended with the window "
                "(server, connections and loop closed)\n"
            )
        self.status = 0 if ok else 1
        self.on_finished()

    def interrupted(self) -> int:
        """The loop ended before the script did (the window was closed): report, return 1."""
        if not self.done:
            self._report([(name, check()) for name, check in self.checks])
            self.out.write(f"  FAIL the window was closed at stage: {self.stage}\n")
            self.done = True
        self._stop_checker()
        return self.status

    def _stop_checker(self) -> None:
        if self.checker is not None:
            self.checker.stop()

    def _report(self, results: list[tuple[str, bool]], timed_out: bool = False) -> bool:
        m = self.model
        w = self.out.write
        elapsed = time.monotonic() - self.t0
        w(f"uidispatch demo self-test on {m.d.backend.name}, {elapsed:.1f} s\n")
        for name, ok in results:
            w(f"  {'ok  ' if ok else 'FAIL'} {name}\n")
        if timed_out:
            w(f"  timed out after {self.limit:g} s at stage: {self.stage}\n")
        s = m.d.stats()
        w(
            f"  stats: executed={s.executed:,} coalesced={s.coalesced:,} dropped={s.dropped:,} "
            f"drains={s.drains:,} longest drain={s.max_drain_ms:.1f} ms "
            f"latency p50/p99={s.latency_p50_ms:.2f}/{s.latency_p99_ms:.2f} ms\n"
        )
        w(f"  longest animation frame gap during floods: {m.flood_gap_max * 1000:.0f} ms\n")
        if m.aio.error is not None:
            w(f"  skipped the async panel: {m.aio.error}\n")
        elif m.aio.rtts:
            w(f"  async echo round trip: {min(m.aio.rtts) * 1000:.2f} ms (asyncio guest loop)\n")
        for violation in [] if self.checker is None else self.checker.violations:
            w(f"  wrong thread: {violation}\n")
            w("".join(f"    {line}\n" for line in violation.stack.splitlines()[-6:]))
        if self.grew_to is not None:
            w(f"  window size changed from {self.size} to {self.grew_to}\n")
        w("  pool.report():\n")
        for line in m.pool.report().splitlines():
            w(f"    {line}\n")
        return all(r for _, r in results) and not timed_out
