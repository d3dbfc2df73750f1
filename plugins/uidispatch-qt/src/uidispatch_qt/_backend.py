"""The Qt backend: wakes the GUI thread with a posted event, times with ``QTimer``.

How ``post(fn)`` reaches the GUI thread was chosen by measurement (``bench.py`` and the
notes in the plugin README); the core posts once per *batch*, so what matters is that a
post never blocks the worker and never starves the GUI's own timers, not its cost:

- **From a worker**: ``QCoreApplication.postEvent`` of a bare custom ``QEvent`` to a receiver
  ``QObject`` living in the GUI thread; ``fn`` waits in a deque. ``postEvent`` is documented
  thread-safe and never waits for the GUI thread. Its idle latency measured the same as a
  queued signal's and ``QTimer.singleShot(0, ctx, f)``'s (25-40 us p50). A queued
  ``Signal.emit`` is out: PySide6 6.12.0 aborts CPython 3.10/3.11 after about 50 emits
  (BASELINES.md, toolkit hazards), so even one emit per batch would bring a long-running
  app down.
- **From the GUI thread** (the drain re-posting itself after spending its 8 ms budget): a
  persistent zero-interval single-shot ``QTimer``. Under the glib event dispatcher (Linux's
  default) a posted event, a queued signal and ``QTimer.singleShot(0, ...)`` (in Qt 6 a
  queued invocation, i.e. a posted event) all let a 10 ms GUI timer fire only after every
  third drain (24 ms gaps): after a timer fires, Qt runs timers at idle priority until no
  posted event is pending. A real zero timer goes through the timer queue in due order with
  the GUI's own timers, so they fire between two drains (16 ms gaps, budget + period).
  ``singleShot(1, ...)`` did as well (17 ms) but idles 1 ms per batch.

``call_later`` is a single-shot ``QTimer`` (``PreciseTimer``: a coarse timer may fire up to
5% early) parented to the receiver, which ``close()`` stops.

The receiver is a child of the application and is never deleted before it: deleting it
while a worker is inside ``postEvent`` to it would be a use-after-free, and a parentless
receiver would be deleted by whichever thread drops the last Python reference to it. One
made on a worker is held by the module until its first turn on the GUI thread parents it,
even when its backend was dropped first (the losers of workers racing to the first
``get_dispatcher()``).
``is_alive`` is ``shiboken6.isValid`` on PySide, ``not sip.isdeleted`` on PyQt (``_binding``:
the one Qt binding the app, ``QT_API`` or the installation chose). ``on_app_closed``
listens to the application's ``aboutToQuit`` (``exec()`` returned: no loop will run our
posts any more) and ``destroyed`` signals. The backend holds the application only weakly
and the receiver holds the backend only weakly, so no reference cycle runs through the
application object.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable

from ._binding import QtCore, address, exec_, is_valid
from ._close import window_of

__all__ = ["QtBackend", "QtTimer"]

QCoreApplication = QtCore.QCoreApplication
QEvent = QtCore.QEvent
QEventLoop = QtCore.QEventLoop
QThread = QtCore.QThread
QTimer = QtCore.QTimer

_WAKE = QEvent.Type(QEvent.registerEventType())
# Enum members are read here, at import (under the import lock): PySide6 builds its enums
# lazily, and two workers making the first backends at once saw
# ``AttributeError: type object 'Qt' has no attribute 'ConnectionType'``.
_DIRECT = QtCore.Qt.ConnectionType.DirectConnection
_PRECISE = QtCore.Qt.TimerType.PreciseTimer
_ALL_EVENTS = QEventLoop.ProcessEventsFlag.AllEvents
_MAX_MS = 2**31 - 1  # QTimer intervals are a C int; longer delays re-arm


class _Receiver(QtCore.QObject):
    """Lives in the GUI thread; runs posted callbacks and parents the backend's timers."""

    def __init__(self, backend: QtBackend, app: QtCore.QCoreApplication) -> None:
        super().__init__()
        self._backend = weakref.ref(backend)
        self._app = weakref.ref(app)

    def adopt(self) -> None:
        """Make the application own the receiver (GUI thread only), once."""
        if self.parent() is None:
            app = self._app()
            if app is not None and is_valid(app):
                self.setParent(app)
        _UNPARENTED.discard(self)

    def customEvent(self, event: QtCore.QEvent) -> None:
        """A worker's ``_WAKE`` event: run the posted callbacks."""
        if event.type() == _WAKE:
            self.adopt()  # even when the backend is gone: it was made on a worker
            self.run_posts()

    def run_posts(self) -> None:
        """Run the callbacks posted so far (also the zero timer's slot)."""
        backend = self._backend()
        if backend is not None:
            backend._run_posts()

    def app_closed(self, *_: object) -> None:
        """Slot for the application's ``aboutToQuit`` and ``destroyed`` signals."""
        backend = self._backend()
        if backend is not None:
            backend._app_gone()


# Receivers made on a worker thread, until their first turn on the GUI thread parents them.
_UNPARENTED: set[_Receiver] = set()


class QtTimer:
    """A pending ``QtBackend.call_later`` timer. ``cancel()`` on the GUI thread only."""

    __slots__ = ("__weakref__", "_fn", "_remaining_ms", "_timer")

    def __init__(self, parent: QtCore.QObject, ms: int, fn: Callable[[], object]) -> None:
        self._fn: Callable[[], object] | None = fn
        self._remaining_ms = ms
        timer = QTimer(parent)
        self._timer: QtCore.QTimer | None = timer
        timer.setSingleShot(True)
        timer.setTimerType(_PRECISE)
        # A function, not the bound method: PySide keeps no strong reference to a plain
        # object behind a bound-method slot (a dropped handle crashed the process when its
        # timer fired). The function keeps this handle alive until the QTimer is deleted.
        timer.timeout.connect(lambda: self._fire())
        self._arm()

    def _arm(self) -> None:
        assert self._timer is not None
        step = min(self._remaining_ms, _MAX_MS)
        self._remaining_ms -= step
        self._timer.start(step)

    def _fire(self) -> None:
        if self._remaining_ms > 0 and self._timer is not None:
            self._arm()
            return
        fn = self._fn
        self._release()
        if fn is not None:
            fn()

    def cancel(self) -> None:
        """Stop the timer if it has not fired; idempotent. GUI thread only."""
        self._release()

    def _release(self) -> None:
        self._fn = None
        timer, self._timer = self._timer, None
        if timer is not None and is_valid(timer):
            timer.stop()
            timer.deleteLater()  # not `delete`: we may be inside its own timeout signal


class QtBackend:
    """A ``MainThreadDispatcher`` for a ``QCoreApplication`` (or ``QApplication``).

    ``QtBackend(app)`` binds to ``app``; without one, to ``QCoreApplication.instance()``.
    Create it on any thread; it works under ``app.exec()``, a nested ``QEventLoop`` and
    qasync's loop alike (qasync runs ``app.exec()`` too).

    Raises:
        RuntimeError: no application exists yet (create ``QApplication`` first).
        TypeError: ``app`` is not a ``QCoreApplication``.

    """

    name = "qt"

    def __init__(self, app: QtCore.QCoreApplication | None = None) -> None:
        if app is None:
            app = QCoreApplication.instance()
            if app is None:
                raise RuntimeError(
                    "no QCoreApplication exists: create QApplication(sys.argv) before "
                    "get_dispatcher('qt'), or pass app="
                )
        elif not isinstance(app, QCoreApplication):
            raise TypeError(f"app must be a QCoreApplication for the qt backend, got {app!r}")
        self._app = weakref.ref(app)
        gui_thread = app.thread()
        self._gui_thread = address(gui_thread)
        self._main_ident: int | None = None
        # Every post, from any thread, in order; each wake-up (a worker's event or the
        # zero timer) runs the ones queued when it starts, so each runs exactly once.
        self._pending: deque[Callable[[], object]] = deque()
        self._zero: QtCore.QTimer | None = None  # created on the GUI thread, on first use
        self._closed = False
        self._timers: weakref.WeakSet[QtTimer] = weakref.WeakSet()  # pending call_later
        self._app_closed: list[Callable[[], object]] = []
        self._ran = False
        self._wait_loop: QtCore.QEventLoop | None = None
        self._receiver = receiver = _Receiver(self, app)
        if self._on_gui_thread():
            self._main_ident = threading.get_ident()
            receiver.setParent(app)
        else:
            # Held here until the GUI thread parents it: a parentless receiver is deleted by
            # whichever thread drops its last Python reference, and a backend made on a
            # worker and dropped there (the loser of two workers' first get_dispatcher())
            # deleted it while the GUI thread delivered its wake event: a segfault in
            # PySide6's override lookup, about one run in fifty.
            _UNPARENTED.add(receiver)
            receiver.moveToThread(gui_thread)
            # Only the GUI thread may parent it to the application: the first turn does.
            QCoreApplication.postEvent(receiver, QEvent(_WAKE))
        direct = _DIRECT
        app.aboutToQuit.connect(receiver.app_closed, direct)
        app.destroyed.connect(receiver.app_closed, direct)

    @property
    def app(self) -> QtCore.QCoreApplication | None:
        """The application this backend is bound to, or ``None`` once it was collected."""
        return self._app()

    # -- the protocol

    def is_main_thread(self) -> bool:
        """True on the thread the application lives in. Any thread; after close too."""
        ident = self._main_ident
        if ident is not None:
            return threading.get_ident() == ident
        return self._on_gui_thread()

    def _on_gui_thread(self) -> bool:
        try:
            return address(QThread.currentThread()) == self._gui_thread
        except RuntimeError:
            # PyQt reuses a finished worker's QThread wrapper for a new worker's thread at
            # the same address and calls it deleted. The GUI thread's QThread lives as long
            # as the application, so this is a worker.
            return False

    def post(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` once on the GUI thread soon, in posting order; never waits. Any thread.

        From the GUI thread it runs on a later loop turn, after the timers that are due.
        Dropped after :meth:`close` or once the application was destroyed.
        """
        if self._closed:
            return
        self._pending.append(fn)
        try:
            if self.is_main_thread():
                self._start_zero_timer()
            else:
                QCoreApplication.postEvent(self._receiver, QEvent(_WAKE))
        except RuntimeError:  # the receiver's C++ side is gone: nothing will run fn
            self._pending.clear()

    def _start_zero_timer(self) -> None:
        zero = self._zero
        if zero is None:
            self._zero = zero = QTimer(self._receiver)
            zero.setSingleShot(True)
            zero.setInterval(0)
            zero.timeout.connect(self._receiver.run_posts)
        if not zero.isActive():
            zero.start()

    def _run_posts(self) -> None:
        if self._main_ident is None:  # created on a worker: settle in on the GUI thread
            self._main_ident = threading.get_ident()
            self._receiver.adopt()
        if self._closed:  # closed from a worker: stop the timers here, on their thread
            self._stop_timers()
            return
        pending = self._pending
        # Only what was queued when this turn began: a post made while these run (the
        # drain re-posting itself) waits for a later turn.
        left = len(pending)
        if left:
            self._note_ran()
        try:
            while left:
                left -= 1
                try:
                    fn = pending.popleft()
                except IndexError:  # close() dropped them
                    return
                fn()
        finally:
            if left and pending and not self._closed:  # fn raised: the rest still runs
                self._start_zero_timer()

    def _note_ran(self) -> None:
        self._ran = True
        loop = self._wait_loop
        if loop is not None:
            loop.quit()

    def call_later(self, delay: float, fn: Callable[[], object]) -> QtTimer:
        """Run ``fn()`` on the GUI thread after ``delay`` seconds. GUI thread only.

        After :meth:`close` the timer never fires.
        """
        ref = weakref.ref(self)  # a pending QTimer must not keep a closed backend alive

        def fire() -> None:
            backend = ref()
            if backend is not None:
                backend._note_ran()
            fn()

        timer = QtTimer(self._receiver, math.ceil(max(0.0, delay) * 1000), fire)
        self._timers.add(timer)
        return timer

    def is_alive(self, obj: object) -> bool:
        """False once a Qt object's C++ side was deleted (shiboken, sip); True for anything else."""
        return is_valid(obj)

    def process_events(self, timeout: float) -> None:
        """Run what is ready; if none of our posts or timers ran, wait for one up to ``timeout``.

        GUI thread only. Other Qt events (paint, input, other timers) are processed on the
        way. Without an application it only waits.
        """
        self._ran = False
        if QCoreApplication.instance() is None:
            time.sleep(timeout)
            return
        QCoreApplication.processEvents(_ALL_EVENTS)
        if self._ran or timeout <= 0:
            return
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.setTimerType(_PRECISE)
        timer.timeout.connect(loop.quit)
        outer, self._wait_loop = self._wait_loop, loop
        try:
            timer.start(max(1, math.ceil(timeout * 1000)))
            exec_(loop)
        finally:
            self._wait_loop = outer
            timer.stop()

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` once when the application quits (``exec()`` returns) or is destroyed."""
        self._app_closed.append(fn)

    # The optional AppWindow capability (uidispatch.aio.run_app): see _close.py.

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send the close event of the last main window to ``fn``; False vetoes. GUI thread."""
        window_of(self).on_close_requested(fn)

    def close_app(self) -> None:
        """Close the app's windows and leave ``app.exec()``; idempotent. GUI thread."""
        window_of(self).close_app()

    def run_main_loop(self) -> None:
        """``app.exec()`` until the app quits. GUI thread."""
        window_of(self).run_main_loop()

    def _app_gone(self) -> None:
        callbacks, self._app_closed = self._app_closed, []
        for fn in callbacks:
            fn()

    def _stop_timers(self) -> None:
        for handle in list(self._timers):
            handle._release()  # deletes its QTimer, and with it the connection to the handle
        for timer in self._receiver.findChildren(QTimer):
            timer.stop()

    def close(self) -> None:
        """Drop pending posts, stop timers, stop listening to the app; idempotent. Any thread.

        From a worker the timers stop on the GUI thread's next turn.
        """
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        self._app_closed.clear()
        # The callbacks and their arguments go now, from any thread: a stopped QTimer's
        # connection would hold them until the application is destroyed.
        for handle in list(self._timers):
            handle._fn = None
        receiver = self._receiver
        if not is_valid(receiver):
            return
        app = self._app()
        if app is not None and is_valid(app):
            for signal in (app.aboutToQuit, app.destroyed):
                with contextlib.suppress(RuntimeError, TypeError):  # gone with the app
                    signal.disconnect(receiver.app_closed)
        if self.is_main_thread():
            self._stop_timers()
        else:
            with contextlib.suppress(RuntimeError):  # the app took the receiver with it
                QCoreApplication.postEvent(receiver, QEvent(_WAKE))
