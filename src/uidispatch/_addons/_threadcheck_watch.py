"""Watch calls for the parts' ``classify``: ``sys.monitoring`` (3.12+) or a thread profile hook.

``sys.monitoring`` CALL events see every call on every thread. A call site whose callable
is not a toolkit's answers ``DISABLE`` the first time and is never reported to us again, so
code that touches no toolkit pays nothing after its first run; the toolkit's own call sites
(``self.tk.call`` inside tkinter, ``label.setText`` in the app) cost one classification per
call off the UI thread, and one set lookup on it. A site that calls a toolkit only after
first calling something else is missed: the price of that "nothing after the first run".

Before 3.12 the opt-in profile hook (``threading.setprofile``) sees C calls on threads
started after the check began, at the cost of a Python call for every call and return on
those threads. A profile function that raises is unset by the interpreter, so in
``"raise"`` mode a thread stops being watched after its first violation.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from types import CodeType, FrameType
from typing import Any

__all__ = ["CallWatch", "monitoring_available"]

Classify = Callable[[object, object], "str | None"]
Report = Callable[[str], None]
_MISSING = object()


def monitoring_available() -> bool:
    """Whether this Python has ``sys.monitoring`` (3.12+)."""
    return hasattr(sys, "monitoring")


class CallWatch:
    """Feeds watched calls to the parts' ``classify``; reports off the UI thread."""

    def __init__(
        self,
        parts: Sequence[tuple[Classify, Report]],
        ui_thread: int,
        *,
        profile_threads: bool,
    ) -> None:
        self._parts = tuple(parts)
        self._ui_thread = ui_thread
        self._profile_threads = profile_threads
        self._tool: int | None = None
        self._profiling = False

    @property
    def kind(self) -> str | None:
        """``"monitoring"``, ``"profile"`` or ``None`` (not watching)."""
        if self._tool is not None:
            return "monitoring"
        return "profile" if self._profiling else None

    def start(self) -> None:
        """Start watching, if this Python and the options allow it."""
        if not self._parts:
            return
        if monitoring_available():
            self._start_monitoring()
        elif self._profile_threads:
            self._profiling = True
            threading.setprofile(self._profile)

    def stop(self) -> None:
        """Stop watching; threads still profiled unset their hook on their next call."""
        if self._tool is not None:
            mon: Any = getattr(sys, "monitoring")  # noqa: B009  # absent before 3.12
            mon.set_events(self._tool, 0)
            mon.register_callback(self._tool, mon.events.CALL, None)
            mon.free_tool_id(self._tool)
            self._tool = None
        if self._profiling:
            self._profiling = False
            threading.setprofile(None)  # type: ignore[arg-type,unused-ignore]  # None unsets

    # --------------------------------------------------------------- sys.monitoring

    def _start_monitoring(self) -> None:
        mon: Any = getattr(sys, "monitoring")  # noqa: B009  # absent before 3.12
        for tool in (3, 4, 2, 1, 0, 5):  # the unnamed ids first; 0-2 are debugger/coverage/profiler
            if mon.get_tool(tool) is None:
                break
        else:
            return  # every tool id is taken: the parts' own hooks still work
        mon.use_tool_id(tool, "uidispatch.check_threads")
        self._tool = tool
        disable = mon.DISABLE
        parts = self._parts
        ui = self._ui_thread
        get_ident = threading.get_ident

        # Call sites seen calling a toolkit: on the UI thread, where nothing is reported,
        # such a site answers from this set instead of classifying each call again (a
        # classification names the operation: several isinstance checks and a string).
        toolkit_sites: set[tuple[CodeType, int]] = set()

        def on_call(code: CodeType, offset: int, fn: object, arg0: object) -> object:
            on_ui = get_ident() == ui
            if on_ui and (code, offset) in toolkit_sites:
                return None
            for classify, report in parts:
                try:
                    operation = classify(fn, arg0)
                except Exception:  # a broken part must not break the app's calls
                    operation = None
                if operation is not None:
                    if on_ui:
                        toolkit_sites.add((code, offset))
                    else:
                        report(operation)
                    return None
            return disable

        mon.register_callback(tool, mon.events.CALL, on_call)
        # Sites a previous activation disabled must be seen again.
        mon.restart_events()
        mon.set_events(tool, mon.events.CALL)

    # --------------------------------------------------------------- profile hook

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        if event != "c_call":
            return
        if not self._profiling:
            sys.setprofile(None)
            return
        for classify, report in self._parts:
            try:
                operation = classify(arg, _MISSING)
            except Exception:
                operation = None
            if operation is not None:
                if threading.get_ident() != self._ui_thread:
                    report(operation)
                return
