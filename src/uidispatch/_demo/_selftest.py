"""``demo --selftest SECONDS``: drive the demo by script, check what happened, exit 0 or 1.

Used by the tests and to take the documentation's screenshots under Xvfb. Every step is a
timer on the main loop; the checks poll until they all pass or the time is up.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TextIO

from ._tk import FLOOD_CALLS, TkDemo

__all__ = ["SelfTest"]

QUERY = "imp"


class SelfTest:
    """Scripted run of a :class:`TkDemo`; ``status`` is the exit status once it finished."""

    def __init__(
        self, app: TkDemo, limit: float, screenshot: str | None, out: TextIO = sys.stdout
    ) -> None:
        self.app = app
        self.limit = limit
        self.screenshot = screenshot
        self.out = out
        self.status = 1
        self.t0 = time.monotonic()
        self.stage = "starting"
        self.checks: list[tuple[str, Callable[[], bool]]] = [
            ("two tasks finished", self._finished),
            ("cancelled task resolved as cancelled", self._cancelled),
            ("long task shows progress", self._running),
            ("search debounced: 3 keystrokes, 1 search", self._debounced),
            (f"plain flood: {FLOOD_CALLS:,} calls ran", self._flooded),
            (f"keyed flood coalesced, last value {FLOOD_CALLS - 1:,}", self._coalesced),
            ("0.5 s block reported as a stall with its duration", self._stall),
        ]

    # ------------------------------------------------------------------ script

    def start(self) -> None:
        """Schedule the script on the app's main loop."""
        after = self.app.root.after
        after(200, self.app.start_tasks)
        for i, ch in enumerate(QUERY):
            after(400 + 60 * i, self._type, ch)
        after(900, self._cancel_third)
        after(1200, self._flood_then_more)
        after(300, self._poll)

    def _type(self, ch: str) -> None:
        self.app.entry.insert("end", ch)
        self.app.on_key()

    def _cancel_third(self) -> None:
        if len(self.app.rows) >= 3:
            self.app.cancel_task(self.app.rows[2])

    def _flood_then_more(self) -> None:
        self.stage = "plain flood"
        self.app.flood_plain()
        self._when(lambda: "seconds" in self.app.floods.get("plain", {}), self._keyed)

    def _keyed(self) -> None:
        self.stage = "keyed flood"
        self.app.flood_keyed()
        self._when(lambda: "seconds" in self.app.floods.get("keyed", {}), self._block)

    def _block(self) -> None:
        self.stage = "blocking the UI"
        # Let a heartbeat through first, so the block is a stall of its own.
        self.app.root.after(300, self.app.block_ui)
        self.stage = "checking"

    def _when(self, predicate: Callable[[], bool], then: Callable[[], None]) -> None:
        if predicate():
            then()
        else:
            self.app.root.after(50, self._when, predicate, then)

    # ------------------------------------------------------------------ checks

    def _row(self, i: int) -> str:
        rows = self.app.rows
        return rows[i].outcome if len(rows) > i else "missing"

    def _finished(self) -> bool:
        return self._row(0) == "done" and self._row(1) == "done"

    def _cancelled(self) -> bool:
        return self._row(2) == "cancelled"

    def _running(self) -> bool:
        rows = self.app.rows
        return len(rows) > 3 and rows[3].outcome == "running" and float(rows[3].bar["value"]) > 0

    def _debounced(self) -> bool:
        a = self.app
        return (
            a.keystrokes == len(QUERY)
            and a.searches == 1
            and bool(a.search_results)
            and all(QUERY in w.lower() for w in a.search_results)
        )

    def _flooded(self) -> bool:
        return self.app.flood_ran == FLOOD_CALLS

    def _coalesced(self) -> bool:
        a = self.app
        keyed = a.floods.get("keyed", {})
        return (
            "seconds" in keyed
            and a.keyed_last == FLOOD_CALLS - 1
            and a.keyed_ran < FLOOD_CALLS
            and keyed["coalesced"] > 0
        )

    def _stall(self) -> bool:
        return any(i.ended and i.duration >= 0.4 for i in self.app.stall_infos)

    def _poll(self) -> None:
        results = [(name, check()) for name, check in self.checks]
        if all(ok for _, ok in results):
            # A moment for the indicator and labels to paint before the screenshot.
            self.app.root.after(400, self._finish, results)
            return
        if time.monotonic() - self.t0 > self.limit:
            self._finish(results, timed_out=True)
            return
        self.app.root.after(100, self._poll)

    def _finish(self, results: list[tuple[str, bool]], timed_out: bool = False) -> None:
        app = self.app
        w = self.out.write
        elapsed = time.monotonic() - self.t0
        w(f"uidispatch demo self-test on {app.d.backend.name}, {elapsed:.1f} s\n")
        for name, ok in results:
            w(f"  {'ok  ' if ok else 'FAIL'} {name}\n")
        if timed_out:
            w(f"  timed out after {self.limit:g} s at stage: {self.stage}\n")
        s = app.d.stats()
        w(
            f"  stats: executed={s.executed:,} coalesced={s.coalesced:,} dropped={s.dropped:,} "
            f"drains={s.drains:,} longest drain={s.max_drain_ms:.1f} ms "
            f"latency p50/p99={s.latency_p50_ms:.2f}/{s.latency_p99_ms:.2f} ms\n"
        )
        w(f"  longest animation frame gap during floods: {app.flood_gap_max * 1000:.0f} ms\n")
        ok = all(r for _, r in results) and not timed_out
        app.watch.stop()
        if self.screenshot:
            ok = self._capture(self.screenshot) and ok
        self.status = 0 if ok else 1
        app.close()

    def _capture(self, path: str) -> bool:
        exe = shutil.which("import")
        if exe is None:
            self.out.write("  FAIL screenshot: ImageMagick's 'import' is not installed\n")
            return False
        root = self.app.root
        root.update()
        window = root.wm_frame()
        proc = subprocess.run(
            [exe, "-window", window, path], capture_output=True, text=True, timeout=30
        )
        if proc.returncode != 0:
            self.out.write(f"  FAIL screenshot: {proc.stderr.strip()}\n")
            return False
        self.out.write(f"  screenshot: {path}\n")
        return True
