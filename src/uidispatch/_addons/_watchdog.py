"""The stall watchdog: notice when the main (UI) thread stops answering, and say where it is.

A monitor thread posts a heartbeat through the backend (``backend.post``, the toolkit's own
wake-up, so the beat waits behind whatever blocks the loop) and waits for the main thread to
run it. A beat left unanswered for longer than the threshold is a stall: it is reported once,
with the main thread's stack taken from ``sys._current_frames()`` at that moment, and once
more with its total duration when the beat finally runs.

Cost while idle: one ``post`` per ``interval`` and a monitor thread blocked in a timed lock
wait (no polling in between). Nothing runs when no watch was started.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._core._dispatcher import provide_shortcut
from .._core._errors import DispatcherClosed
from .._core._options import check_callback, check_seconds, thread_wait_max
from .._core._release import hand_over

if TYPE_CHECKING:
    from .._core._dispatcher import Dispatcher

__all__ = ["StallInfo", "StallWatch", "watch_stalls"]

logger = logging.getLogger("uidispatch")

StallCallback = Callable[["StallInfo"], object]


@dataclass(frozen=True)
class StallInfo:
    """One report about one stall of the main thread; frozen, safe to hand across threads.

    Each stall is reported twice with the same ``number``: once while it goes on
    (``ended`` false, ``duration`` so far) and once when the main thread answers again
    (``ended`` true, ``duration`` in total). The stack is the one taken when the stall was
    detected, the moment it is most useful; both records carry it.
    """

    number: int
    """1 for the first stall this watch saw, then 2, 3, ...; start and end share it."""
    ended: bool
    """False while the stall goes on; True once the main thread answered again."""
    duration: float
    """Seconds the main thread had not answered: so far (``ended`` false) or in total."""
    threshold: float
    """The watch's threshold in seconds."""
    backend: str
    """The name of the backend whose main thread stalled."""
    stack: str
    """The main thread's stack when the stall was detected, innermost frame last
    (``""`` when the main thread was never seen, e.g. it stalled before the first beat)."""
    location: str
    """The innermost frame in one line, ``"file:line in function"`` (``""`` when unknown)."""
    thread_id: int | None
    """``threading.get_ident()`` of the main thread, when known."""

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        if self.ended:
            return f"UI stall #{self.number} ended after {self.duration:.3f} s{where}"
        return (
            f"UI stall #{self.number}: the {self.backend} main thread has not answered for "
            f"{self.duration:.3f} s (threshold {self.threshold} s){where}"
        )


class StallWatch:
    """A running stall watchdog, as returned by ``Dispatcher.watch_stalls``.

    The monitor thread stops on :meth:`stop`, when the dispatcher is closed, and when the
    dispatcher is garbage-collected (it holds the dispatcher weakly). Usable as a context
    manager that stops on exit. All attributes may be read from any thread.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        threshold: float,
        on_stall: StallCallback | None,
        interval: float,
    ) -> None:
        self.threshold = threshold
        """Seconds without an answer that make a stall."""
        self.interval = interval
        """Seconds between heartbeats while the main thread answers."""
        self.stalls = 0
        """Stalls detected so far (each counted once, when detected)."""
        self.beats = 0
        """Heartbeats the main thread answered (the watch's whole idle cost)."""
        self.last: StallInfo | None = None
        """The most recent report, or ``None``."""
        self._on_stall = on_stall
        self._backend_name = dispatcher.backend.name
        # Only a weak reference: if this thread dropped the last reference to a dispatcher
        # holding a Tk root, Tcl would be torn down on the wrong thread and abort the process
        # (BASELINES.md, Tk hazards).
        self._dispatcher = weakref.ref(dispatcher)
        self._cond = threading.Condition()
        self._answered = 0  # sequence number of the last beat the main thread ran
        self._answered_at = 0.0
        self._stopping = False
        self._stalled = False
        self._main_ident: int | None = None
        if dispatcher.is_main_thread():
            self._main_ident = threading.get_ident()
        self._thread = threading.Thread(
            target=self._run, name=f"uidispatch-stall-watch-{self._backend_name}", daemon=True
        )
        self._thread.start()

    # ---------------------------------------------------------------- public

    @property
    def running(self) -> bool:
        """True until the monitor thread has stopped."""
        return self._thread.is_alive()

    @property
    def stalled(self) -> bool:
        """True while a detected stall has not ended."""
        return self._stalled

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the monitor and wait up to ``timeout`` seconds for its thread. Any thread.

        Idempotent; safe from inside ``on_stall`` (which runs on the monitor thread and is
        then not waited for). A stall in progress when the watch stops gets no end report.
        """
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> StallWatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"<uidispatch.StallWatch backend={self._backend_name!r} threshold={self.threshold} "
            f"interval={self.interval} stalls={self.stalls} {state}>"
        )

    # ---------------------------------------------------------------- main thread

    def _beat(self, seq: int) -> None:
        # Runs on the main thread: the one place where its identity can be learnt.
        now = time.monotonic()
        with self._cond:
            self._main_ident = threading.get_ident()
            if seq > self._answered:
                self._answered = seq
                self._answered_at = now
                self.beats += 1
            self._cond.notify_all()

    # ---------------------------------------------------------------- monitor thread

    def _post(self, seq: int) -> bool:
        """Post one heartbeat; False when the dispatcher is gone or closed."""
        d = self._dispatcher()
        if d is None or d.closed:
            return False
        backend = d.backend
        del d  # keep no strong reference across the waits below
        beat = self._beat
        try:
            backend.post(lambda: beat(seq))
        except Exception:
            logger.exception("stall watch: posting a heartbeat failed; the watch stops")
            return False
        return True

    def _alive(self) -> bool:
        d = self._dispatcher()
        return d is not None and not d.closed

    def _wait(self, seq: int, timeout: float) -> tuple[bool, bool, float]:
        """Wait up to ``timeout`` for beat ``seq`` or a stop: (answered, stopping, answered_at)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            # In steps: Condition.wait raises OverflowError past threading.TIMEOUT_MAX, and
            # a huge threshold must not kill this thread.
            while not (self._answered >= seq or self._stopping):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(remaining, thread_wait_max()))
            return self._answered >= seq, self._stopping, self._answered_at

    def _run(self) -> None:
        try:
            self._monitor()
        finally:
            # This thread must not be the last to drop the callback: it may name a widget
            # of a window the app already let go of (Tcl aborts when a worker frees it).
            box: list[object] = [self._on_stall]
            self._on_stall = None
            hand_over(box, self._dispatcher)

    def _monitor(self) -> None:
        seq = 0
        while True:
            seq += 1
            sent = time.monotonic()
            if self._stopping or not self._post(seq):
                return
            answered, stopping, _ = self._wait(seq, self.threshold)
            if stopping:
                return
            if not answered:
                if not self._alive():
                    return  # a closed backend drops posts: that is no stall
                if not self._watch_one_stall(seq, sent):
                    return
            # The next beat one interval after this one was sent (at once after a stall);
            # seq + 1 is never answered before it is posted, so this waits for stop only.
            if self._wait(seq + 1, sent + self.interval - time.monotonic())[1]:
                return

    def _watch_one_stall(self, seq: int, sent: float) -> bool:
        """Report a detected stall, wait for its end and report that; False to stop."""
        self.stalls += 1
        number = self.stalls
        stack, location = _stack_of(self._main_ident)
        self._stalled = True
        self._report(number, False, time.monotonic() - sent, stack, location)
        try:
            while True:
                # Wake now and then only to notice a closed or collected dispatcher.
                answered, stopping, answered_at = self._wait(
                    seq, max(self.interval, self.threshold)
                )
                if stopping:
                    return False
                if answered:
                    break
                if not self._alive():
                    return False
        finally:
            self._stalled = False
        self._report(number, True, answered_at - sent, stack, location)
        return True

    def _report(self, number: int, ended: bool, duration: float, stack: str, where: str) -> None:
        info = StallInfo(
            number=number,
            ended=ended,
            duration=duration,
            threshold=self.threshold,
            backend=self._backend_name,
            stack=stack,
            location=where,
            thread_id=self._main_ident,
        )
        self.last = info
        if self._on_stall is None:
            if ended:
                logger.warning("%s", info)
            else:
                logger.warning("%s; main thread stack:\n%s", info, stack or "(unknown)")
            return
        try:
            self._on_stall(info)
        except Exception:
            # The monitor must outlive a broken callback, and the error must reach a human.
            logger.exception("stall watch callback %r raised", self._on_stall)


def _stack_of(ident: int | None) -> tuple[str, str]:
    if ident is None:
        return "", ""
    frame = sys._current_frames().get(ident)
    if frame is None:
        return "", ""
    summary = traceback.extract_stack(frame)
    del frame
    if not summary:
        return "", ""
    last = summary[-1]
    return "".join(summary.format()), f"{last.filename}:{last.lineno} in {last.name}"


def _check_seconds(name: str, value: object) -> float:
    return check_seconds(name, value, zero_ok=False)


def watch_stalls(
    dispatcher: Dispatcher,
    threshold: float = 0.2,
    on_stall: StallCallback | None = None,
    interval: float | None = None,
) -> StallWatch:
    """Start watching ``dispatcher``'s main thread for stalls; return the running watch.

    Any thread. A heartbeat goes through ``dispatcher.backend.post`` every ``interval``
    seconds (default ``threshold / 2``, so a stall of ``1.5 * threshold`` or longer is
    always caught, and durations are measured from the unanswered beat, at most one
    ``interval`` after the stall began). A stall is reported once when it passes
    ``threshold`` and once when it ends, as :class:`StallInfo` records to ``on_stall``, or
    as warnings on the ``uidispatch`` logger when ``on_stall`` is ``None``. ``on_stall``
    runs on the monitor thread (the main thread is the one that is stuck): hand the
    record to the UI with ``dispatcher.call_soon``. A loop that is not running (nobody
    pumps it) counts as stalled.

    Raises:
        TypeError: ``threshold`` or ``interval`` is not a number, or ``on_stall`` is not
            callable.
        ValueError: ``threshold`` or ``interval`` is not a finite number > 0.
        DispatcherClosed: ``dispatcher`` is closed.

    """
    threshold = _check_seconds("threshold", threshold)
    interval = threshold / 2 if interval is None else _check_seconds("interval", interval)
    if on_stall is not None:
        if not callable(on_stall):
            raise TypeError(f"on_stall must be callable or None, got {on_stall!r}")
        check_callback(
            "on_stall",
            on_stall,
            "give a plain function (it runs on the monitor thread); hand the record to the "
            "UI with dispatcher.call_soon",
        )
    if dispatcher.closed:
        raise DispatcherClosed("watch_stalls() on a closed dispatcher")
    return StallWatch(dispatcher, threshold, on_stall, interval)


provide_shortcut("watch_stalls", watch_stalls)
