"""The Tk backend: a self-pipe wakes the Tk thread, Tcl timers do the rest.

Every choice below was measured (Tcl/Tk 8.6 threaded, CPython 3.11, Xvfb, 2 cores; the
benchmark is ``python -m uidispatch_tk.bench``):

- **Waking from a worker: a pipe watched by ``createfilehandler``** (:mod:`._wake`). With a
  threaded Tcl, ``_tkinter`` runs a worker's Tcl call on the Tk thread and makes the worker
  wait for it. One post every 5 ms into an idle loop cost the worker 115 us (p50) with
  ``root.after(0, f)`` and 145 us with ``event_generate``, up to 3 ms at p99, against 16 us
  for ``os.write`` on the pipe; the pipe also woke the loop faster (70 us p50 against
  142/167 us). Worse, a worker calling ``after`` while the Tk thread joined it stayed blocked
  for the whole join (a deadlock without a join timeout), and without a running
  ``mainloop()`` the call raises after about one second; the pipe write returned at once in
  both cases. A Tcl socket channel with ``fileevent`` needs no Tcl call on the worker either
  but cost 37 us per post and woke slower (114 us p50), so it is only the fallback where
  ``_tkinter`` has no ``createfilehandler`` (Windows): see :class:`._wake.SocketWake`. No
  Windows machine runs the tests here; on Linux the whole conformance suite also runs on
  the socket path (``wake="socket"``). The core posts once per batch, so the pipe carries
  one byte per batch, never one per call.
- **Re-posting from the Tk thread: ``after idle`` that arms ``after 0``, in pure Tcl.** A
  drain that spent its budget must let Tk paint and handle input before the next batch.
  Tk paints and applies geometry in idle handlers, which Tcl runs only when no event is
  ready: a chain of 0 ms timers (``after(0)`` or ``createtimerhandler(0)``) each busy for
  8 ms starved them completely (no repaint and no ``<Configure>`` in 30 batches). Plain
  ``after_idle`` lets painting run, but would also run the drain inside any
  ``update_idletasks()`` an app calls from a handler; a 1 ms timer paints but idles up to
  1 ms per batch. ``after idle {after 0 cmd}`` paints between every two batches, leaves
  ``update_idletasks`` alone, and needs no Python (so no GIL hand-off) for its first stage.
- **Timers: ``tkapp.createtimerhandler``**, a C-level Tcl timer in the same queue as
  ``after``, without registering a Tcl command per timer. A destroyed root deletes the Tcl
  commands of pending ``after`` callbacks, which then print "invalid command name" errors;
  these timers cannot.
- **Closing: a ``<Destroy>`` binding on a bindtag of our own**, first in the root's
  bindtags, so an app's ``root.bind("<Destroy>", f)`` (which replaces bindings) or a
  ``break`` cannot hide it. It runs inside ``root.destroy()``, on the Tk thread.
- **No reference cycle holds the root**: the backend drops it when closed (and the root's
  destruction closes it), every callback registered with Tcl holds the backend weakly, and
  ``_tkinter`` keeps those callbacks outside the garbage collector's view. A Tk interpreter
  freed by a collection on a worker thread aborts the process (BASELINES.md).
"""

from __future__ import annotations

import _tkinter
import contextlib
import functools
import itertools
import math
import sys
import threading
import time
import tkinter
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from ._close import window_of
from ._timer import MAX_MS, TkTimer
from ._wake import PipeWake, SocketWake, Wake

__all__ = ["TkBackend", "TkTimer"]

_MAX_MS = MAX_MS  # Tcl timers take a C int of milliseconds
_ids = itertools.count(1)
WORKER_SETUP_TIMEOUT = 5.0
"""Seconds a backend created off the Tk thread waits for the Tk thread to set it up."""


def _noop() -> None:
    pass


def _weak(ref: weakref.ref[TkBackend], method: str) -> Callable[..., None]:
    """A callable for Tcl that reaches the backend through ``ref``, never keeping it alive."""

    def call(*_: object) -> None:
        backend = ref()
        if backend is not None:
            getattr(backend, method)()

    return call


class TkBackend:
    """A ``uidispatch`` ``MainThreadDispatcher`` for one Tk root.

    ``TkBackend(app)`` binds to ``app``'s root (``app`` may be the ``tkinter.Tk`` root or
    any widget of it, a ``Toplevel`` included). Its main thread is the thread that
    created the root. Built on another thread, it asks the Tk thread to set it up (a
    running ``mainloop()`` answers) and waits up to :data:`WORKER_SETUP_TIMEOUT` seconds.
    ``wake`` picks the worker wake-up: ``"auto"`` (the pipe where ``_tkinter`` has
    ``createfilehandler``, else the socket), ``"pipe"`` or ``"socket"``.

    Raises:
        TypeError: ``app`` is not a tkinter widget.
        ValueError: ``app``'s root was destroyed, or ``wake`` is unknown.
        RuntimeError: built off the Tk thread while the Tk thread did not answer.

    """

    name = "tk"

    def __init__(self, app: tkinter.Misc, *, wake: str = "auto") -> None:
        if not isinstance(app, tkinter.Misc):
            raise TypeError(f"app must be a tkinter.Tk root or one of its widgets, got {app!r}")
        if wake not in ("auto", "pipe", "socket"):
            raise ValueError(f"wake must be 'auto', 'pipe' or 'socket', got {wake!r}")
        root: tkinter.Tk = app._root()  # type: ignore[attr-defined]  # untyped in typeshed
        self._root: tkinter.Tk | None = root
        self._wake_kind = wake
        self._ref = weakref.ref(self)
        self._lock = threading.Lock()
        self._closed = False
        self._released = False
        self._thread = threading.get_ident()
        self._main_posts: deque[Callable[[], object]] = deque()
        self._worker_posts: deque[Callable[[], object]] = deque()
        self._armed = False
        self._timers: set[TkTimer] = set()
        self._app_closed: list[Callable[[], object]] = []
        self._pumping = 0
        self._destroying = False
        self._stashed: BaseException | None = None
        n = next(_ids)
        self._run_cmd = f"uidispatch_tk_run{n}"
        self._destroy_cmd = f"uidispatch_tk_destroyed{n}"
        self._tag = f"uidispatch_tk{n}"
        self._wake: Wake | None = None
        if _on_tk_thread(root.tk):
            self._setup()
        else:
            self._setup_from_worker(root.tk)

    # ------------------------------------------------------------------ setup

    def _setup(self) -> None:
        """Register with Tk. On the Tk thread."""
        root = self._root
        assert root is not None
        try:
            exists = bool(root.winfo_exists())
        except tkinter.TclError:
            exists = False
        if not exists:
            raise ValueError(
                f"app {root!r} was destroyed; create a new tkinter.Tk() and pass it as app="
            )
        tkapp = root.tk
        self._thread = threading.get_ident()
        ref = self._ref
        orphan: list[Callable[[], None] | None] = [None]

        def on_wake() -> None:
            backend = ref()
            if backend is not None:
                backend._on_wake()
                return
            # Dropped without close() and collected off the Tk thread: its finalizer left
            # the Tcl part of the release for us, here on the Tk thread.
            cleanup, orphan[0] = orphan[0], None
            if cleanup is not None:
                cleanup()

        kind = self._wake_kind
        if kind == "pipe" or (kind == "auto" and hasattr(tkapp, "createfilehandler")):
            self._wake = PipeWake(tkapp, on_wake)
        else:
            root_ref = weakref.ref(root)
            # Through the root once the backend is gone: an orphan's release needs it.
            self._wake = SocketWake(
                lambda: _tkapp_of(ref) if ref() is not None else _root_tk(root_ref), on_wake
            )
        # Held here as well as by Tcl: release() deletes the commands, possibly from
        # inside one of them (the destroy handler), which must not free it mid-call.
        self._commands = (_weak(ref, "_run_main_posts"), _weak(ref, "_root_destroyed"))
        tkapp.createcommand(self._run_cmd, self._commands[0])
        tkapp.createcommand(self._destroy_cmd, self._commands[1])
        tkapp.call("bind", self._tag, "<Destroy>", self._destroy_cmd)
        root.bindtags((self._tag, *root.bindtags()))
        # A backend dropped without close() must still give back its pipe (2 fds), its
        # bindtag and its Tcl commands. The finalizer holds no backend and no root, only
        # a weak reference to it: a Tk root freed off the Tk thread aborts the process.
        self._finalizer = weakref.finalize(
            self,
            _orphaned,
            self._thread,
            orphan,
            self._wake,
            functools.partial(
                _unregister,
                weakref.ref(root),
                self._wake,
                self._timers,
                (self._run_cmd, self._destroy_cmd),
                self._tag,
            ),
        )
        self._finalizer.atexit = False  # at exit the interpreter goes with the process

    def _setup_from_worker(self, tkapp: Any) -> None:
        # One-time exception to "a worker never calls Tcl": registering a file handler is
        # Tk-thread work. A helper thread makes the (waiting) Tcl call, so this thread
        # gives up after a timeout instead of deadlocking a Tk thread that joins it.
        done = threading.Event()
        lock = threading.Lock()
        failure: list[BaseException] = []
        abandoned = False
        cmd = f"{self._run_cmd}_setup"

        def setup() -> None:  # on the Tk thread
            with lock:
                if abandoned:
                    return
                try:
                    self._setup()
                except BaseException as exc:
                    failure.append(exc)
                done.set()

        def helper() -> None:
            try:
                tkapp.createcommand(cmd, setup)
                try:
                    tkapp.call(cmd)
                finally:
                    tkapp.deletecommand(cmd)
            except BaseException as exc:
                with lock:
                    if not done.is_set():
                        failure.append(exc)
                        done.set()

        threading.Thread(target=helper, name="uidispatch-tk-setup", daemon=True).start()
        done.wait(WORKER_SETUP_TIMEOUT)
        with lock:  # decided under the lock: a setup finishing now must not be abandoned
            finished = done.is_set()
            abandoned = not finished
        if not finished or failure:
            cause = failure[0] if failure else None
            # The closures' frames are in cause's traceback and name this list (a cycle
            # holding this backend and its root until a collection on any thread).
            failure.clear()
            if isinstance(cause, (ValueError, TypeError)):
                raise cause
            raise RuntimeError(
                "the tk dispatcher was requested off the Tk thread and the Tk thread did not "
                f"set it up within {WORKER_SETUP_TIMEOUT} s (is mainloop() running?): call "
                "uidispatch.get_dispatcher('tk') once on the Tk thread, after creating the root"
            ) from cause

    # ------------------------------------------------------------------ contract

    def is_main_thread(self) -> bool:
        """True on the thread that created the root. Any thread; after close too."""
        return threading.get_ident() == self._thread

    def post(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the Tk thread soon. Any thread; never waits for the Tk thread.

        From a worker: one byte into the wake-up pipe. From the Tk thread: ``after idle``
        then ``after 0``, so Tk paints and handles input before ``fn`` runs. Dropped after
        :meth:`close`.
        """
        if self._closed:
            return
        if threading.get_ident() != self._thread:
            self._worker_posts.append(fn)
            wake = self._wake
            if wake is not None:
                wake.wake()
            return
        self._main_posts.append(fn)
        self._arm()

    def call_later(self, delay: float, fn: Callable[[], object]) -> TkTimer:
        """Run ``fn()`` after ``delay`` seconds (rounded up to whole ms). Tk thread only.

        A delay past Tcl's cap (2**31 - 1 ms, 24.8 days) is re-armed in steps: never early.
        After :meth:`close` the returned timer never fires.
        """
        timer = TkTimer(self._ref, fn)
        root = self._root
        if self._closed or root is None:
            timer._fn = None
            return timer
        # Tcl counts whole milliseconds; round up (never early), forgiving float noise
        # such as 0.007 * 1000 == 7.000000000000001.
        timer._start(root.tk, max(0, math.ceil(delay * 1000 - 1e-6)))
        self._timers.add(timer)
        return timer

    def is_alive(self, obj: object) -> bool:
        """``winfo_exists()`` for tkinter widgets (False once destroyed); True otherwise.

        Tk thread only.
        """
        if isinstance(obj, tkinter.Misc):
            try:
                return bool(obj.winfo_exists())
            except tkinter.TclError:
                return False  # its whole application was destroyed
        return True

    def process_events(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for a Tk event, then run what is ready. Tk thread.

        Returns once something ran (an event, a timer, a post) and nothing else is ready,
        or at the deadline. After :meth:`close` it only waits.

        Raises:
            RuntimeError: called off the Tk thread.

        """
        if not self.is_main_thread():
            raise RuntimeError("process_events() pumps the Tk loop: call it on the Tk thread")
        root = self._root
        if root is None:
            time.sleep(timeout)
            return
        tkapp = root.tk
        deadline = time.monotonic() + timeout
        self._pumping += 1
        try:
            if not tkapp.dooneevent(_tkinter.DONT_WAIT) and timeout > 0:
                # Block in Tcl (the GIL released) until any event; the timer bounds it.
                ms = min(_MAX_MS, math.ceil(timeout * 1000))
                token = tkapp.createtimerhandler(ms, _noop)
                try:
                    tkapp.dooneevent(0)
                finally:
                    token.deletetimerhandler()
            while time.monotonic() < deadline and tkapp.dooneevent(_tkinter.DONT_WAIT):
                pass
        finally:
            self._pumping -= 1
        stashed, self._stashed = self._stashed, None
        if stashed is not None:
            try:
                raise stashed
            finally:
                del stashed  # its traceback holds this frame: no cycle through the local

    def on_app_closed(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` once, on the Tk thread, when the root is destroyed."""
        self._app_closed.append(fn)

    # The optional AppWindow capability (uidispatch.aio.run_app): see _close.py.

    def on_close_requested(self, fn: Callable[[], object] | None) -> None:
        """Send the root's ``WM_DELETE_WINDOW`` to ``fn``; False from it vetoes. Tk thread."""
        window_of(self).on_close_requested(fn)

    def close_app(self) -> None:
        """Destroy the root, as a granted close request does; idempotent. Tk thread."""
        window_of(self).close_app()

    def run_main_loop(self) -> None:
        """``root.mainloop()`` until the root is destroyed. Tk thread."""
        window_of(self).run_main_loop()

    def close(self) -> None:
        """Stop posting and release Tk resources; idempotent. Any thread.

        On the Tk thread the file handler, timers, pending ``after`` events, Tcl commands
        and the ``<Destroy>`` binding are removed at once and the pipe closed; from another
        thread the Tk thread is woken to do it (no Tcl call is made here).
        """
        with self._lock:
            self._closed = True
        if self.is_main_thread():
            self._release()
        elif self._wake is not None:
            self._wake.wake()

    # ------------------------------------------------------------------ Tk thread

    def _on_wake(self) -> None:
        if self._closed:
            self._release()
        else:
            self._run(self._worker_posts, self._rewake)

    def _rewake(self) -> None:
        if self._wake is not None:
            self._wake.wake()

    def _arm(self) -> None:
        root = self._root
        if not self._armed and root is not None:
            self._armed = True
            # Pure Tcl until the timer fires: "after idle" lets Tk paint first, "after 0"
            # keeps the batch out of any update_idletasks() a handler calls.
            root.tk.call("after", "idle", "after", "0", self._run_cmd)

    def _run_main_posts(self) -> None:
        self._armed = False
        if not self._closed:
            self._run(self._main_posts, self._arm)

    def _run(self, posts: deque[Callable[[], object]], again: Callable[[], None]) -> None:
        # Only what was posted before this turn: a post made by a callback now running
        # comes with its own wake-up and must run on a later turn.
        for _ in range(len(posts)):
            try:
                fn = posts.popleft()
            except IndexError:
                return  # an earlier callback ended the app: close() released the rest
            try:
                self._invoke(fn)
            except BaseException:
                if posts:
                    again()  # what is left runs on a later turn
                raise

    def _invoke(self, fn: Callable[[], object]) -> None:
        """Run a callback the way tkinter runs its own (errors to report_callback_exception).

        KeyboardInterrupt and SystemExit propagate: ``_tkinter`` hands them to
        ``mainloop()``, which raises them; inside :meth:`process_events` they are kept and
        raised by it, since ``dooneevent`` would drop them.
        """
        try:
            fn()
        except Exception:
            root = self._root
            if root is not None:
                root.report_callback_exception(*sys.exc_info())
            else:  # pragma: no cover - nothing runs once released; never lose an error
                sys.excepthook(*sys.exc_info())
        except BaseException as exc:
            if not self._pumping:
                raise
            self._stashed = exc

    def _root_destroyed(self) -> None:
        """``<Destroy>`` of the root: tell the core, then release (inside ``destroy()``)."""
        self._destroying = True
        fns, self._app_closed = self._app_closed, []
        for fn in fns:
            self._invoke(fn)
        with self._lock:
            self._closed = True
        self._release()

    def _release(self) -> None:
        if self._released:
            return
        self._released = True
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer.detach()  # released here: nothing is left for it
        root, self._root = self._root, None  # never keep a root alive: see module docs
        self._main_posts.clear()
        self._worker_posts.clear()
        if root is None:  # pragma: no cover - set up never finished
            return
        _unregister(
            weakref.ref(root),
            self._wake,
            self._timers,
            (self._run_cmd, self._destroy_cmd),
            self._tag,
            bindtag=not self._destroying,
        )


def _orphaned(
    thread: int, orphan: list[Any], wake: Wake | None, unregister: Callable[[], None]
) -> None:
    """The finalizer of a backend collected without ``close()``. Any thread."""
    if threading.get_ident() == thread:
        with contextlib.suppress(Exception):  # a finalizer must never raise
            unregister()
        return
    # No Tcl call off the Tk thread: the wake-up's handler runs it there.
    orphan[0] = unregister
    if wake is not None:
        wake.wake()


def _unregister(
    root_ref: weakref.ref[tkinter.Tk],
    wake: Wake | None,
    timers: set[TkTimer],
    commands: tuple[str, ...],
    tag: str,
    *,
    bindtag: bool = True,
) -> None:
    """Give back what a backend registered with Tk. Tk thread only; idempotent."""
    for timer in list(timers):
        timer.cancel()
    root = root_ref()
    if root is None:  # the root went first: only the OS resources are left
        if wake is not None:
            with contextlib.suppress(Exception):
                wake.close(None)
        return
    tkapp = root.tk
    if wake is not None:
        wake.close(tkapp)
    # Every Tcl call below may meet a root destroyed meanwhile: that is no error here.
    with contextlib.suppress(tkinter.TclError):
        for event in tkapp.splitlist(tkapp.call("after", "info")):
            script = str(tkapp.splitlist(tkapp.call("after", "info", event))[0])
            if commands[0] in tkapp.splitlist(script):
                tkapp.call("after", "cancel", event)
    if bindtag:
        with contextlib.suppress(tkinter.TclError):
            root.bindtags(tuple(t for t in root.bindtags() if t != tag))
    with contextlib.suppress(tkinter.TclError):
        tkapp.call("bind", tag, "<Destroy>", "")
    for cmd in commands:
        with contextlib.suppress(tkinter.TclError):
            tkapp.deletecommand(cmd)


def _on_tk_thread(tkapp: Any) -> bool:
    """Whether this thread may call Tcl directly, asked without a Tcl call that could wait.

    ``createtimerhandler`` refuses other threads at once ("Calling Tcl from different
    apartment") where other calls would wait for the Tk thread.
    """
    try:
        tkapp.createtimerhandler(_MAX_MS, _noop).deletetimerhandler()
    except RuntimeError:
        return False
    return True


def _root_tk(root_ref: weakref.ref[tkinter.Tk]) -> Any:
    root = root_ref()
    return None if root is None else root.tk


def _tkapp_of(ref: weakref.ref[TkBackend]) -> Any:
    backend = ref()
    root = backend._root if backend is not None else None
    return root.tk if root is not None else None
