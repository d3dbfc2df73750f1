"""The wrong-thread checker: ``check_threads()`` reports toolkit calls made off the UI thread.

Each installed backend supplies its toolkit's part through the ``uidispatch_thread_checks``
hook (:class:`uidispatch.hookspecs.ThreadCheckSpec`); this module is the user's handle on
them. Nothing is installed, and nothing costs, until a check starts: importing uidispatch
reads ``UIDISPATCH_CHECK_THREADS`` once and starts one only when it is set.
"""

from __future__ import annotations

import os
import threading
from types import TracebackType

from ._threadcheck_hub import attach, detach
from ._threadcheck_report import Violation

__all__ = ["MODES", "ThreadChecker", "check_threads", "start_from_environment"]

MODES = ("warn", "raise", "record")
ENV = "UIDISPATCH_CHECK_THREADS"
_env_mode = os.environ.get(ENV)  # read once, at import
_env_checker: ThreadChecker | None = None


def _check_mode(mode: object, what: str = "mode") -> str:
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"{what} must be one of 'warn', 'raise', 'record', got {mode!r}")
    return mode


class ThreadChecker:
    """A running wrong-thread check, as returned by :func:`check_threads`.

    Records every toolkit call its toolkit parts see off the UI thread as a
    :class:`~uidispatch.Violation`, once per (file, line, operation), and warns or raises
    as its ``mode`` says. Any thread may read ``violations`` or call ``stop()``. Also a
    context manager: ``with ud.check_threads("raise"): ...`` stops it on exit.
    """

    def __init__(self, mode: str = "warn", *, profile_threads: bool = False) -> None:
        self._mode = _check_mode(mode)
        if not isinstance(profile_threads, bool):
            raise TypeError(f"profile_threads must be True or False, got {profile_threads!r}")
        self.profile_threads = profile_threads
        self._lock = threading.Lock()
        self._violations: list[Violation] = []
        self._seen: set[tuple[str, int, str]] = set()
        self._active = False

    @property
    def mode(self) -> str:
        """``"warn"``, ``"raise"`` or ``"record"``."""
        return self._mode

    @property
    def active(self) -> bool:
        """True from the start until :meth:`stop`."""
        return self._active

    @property
    def violations(self) -> list[Violation]:
        """The violations seen so far, first first (a copy); one per (file, line, operation)."""
        with self._lock:
            return list(self._violations)

    def start(self) -> ThreadChecker:
        """Start checking (``check_threads`` did already); idempotent. Returns ``self``."""
        with self._lock:
            if self._active:
                return self
            self._active = True
        attach(self)
        return self

    def stop(self) -> None:
        """Stop checking; idempotent. The toolkit parts are removed once no check is left.

        ``violations`` stays readable.
        """
        with self._lock:
            if not self._active:
                return
            self._active = False
        detach(self)

    def __enter__(self) -> ThreadChecker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "active" if self._active else "stopped"
        return f"<ThreadChecker mode={self._mode!r} {state}, {len(self._violations)} violations>"

    def _note(self, violation: Violation) -> str | None:
        """Record ``violation`` once; say what to do with it: raise, warn or nothing."""
        key = (violation.filename, violation.lineno, violation.operation)
        with self._lock:
            first = key not in self._seen
            if first:
                self._seen.add(key)
                self._violations.append(violation)
        return self._action(violation, first)

    def _action(self, violation: Violation, first: bool) -> str | None:
        # Raised every time (the call must never go through); warned once.
        if self._mode == "raise":
            return "raise"
        if self._mode == "warn" and first:
            return "warn"
        return None


def check_threads(mode: str = "warn", *, profile_threads: bool = False) -> ThreadChecker:
    """Start reporting toolkit calls made off the UI thread; returns the running check.

    ``mode``: ``"warn"`` issues a :class:`~uidispatch.WrongThreadWarning` at the caller's
    line, ``"raise"`` raises :class:`~uidispatch.WrongThreadError` in the calling thread
    instead of making the call, ``"record"`` only records. Each (file, line, operation) is
    reported once; every violation is in ``chk.violations``. Use it as a context manager,
    or call ``chk.stop()``.

    What is caught comes from each backend's part (Tk widget methods, ``Variable.set/get``
    and ``after``; Qt widget methods and constructors; ...). On Python 3.12+ calls on every
    thread are seen (``sys.monitoring``); before, each part's own hooks see what they can,
    and ``profile_threads=True`` adds a profile hook on threads started afterwards
    (costly: every call on those threads). uidispatch's own marshalling (``call_soon``,
    ``call``, task callbacks, ``main_thread``, progress) is never reported.

    Any thread may start a check; the UI thread is the main thread.

    Raises:
        ValueError: ``mode`` is not one of ``"warn"``, ``"raise"``, ``"record"``.
        TypeError: ``profile_threads`` is not a bool.

    """
    return ThreadChecker(mode, profile_threads=profile_threads).start()


def start_from_environment() -> ThreadChecker | None:
    """Start the check ``UIDISPATCH_CHECK_THREADS`` asks for (read at import), once.

    Raises:
        ValueError: the variable holds something other than ``warn``, ``raise``, ``record``.

    """
    global _env_checker
    mode = (_env_mode or "").strip()
    if not mode or _env_checker is not None:
        return _env_checker
    _env_checker = check_threads(_check_mode(mode, f"{ENV}"))
    return _env_checker
