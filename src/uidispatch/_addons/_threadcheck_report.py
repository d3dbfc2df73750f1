"""What the wrong-thread checker reports: the ``Violation`` record, its warning and error."""

from __future__ import annotations

from dataclasses import dataclass

from .._core._errors import UIDispatchError

__all__ = ["Violation", "WrongThreadError", "WrongThreadWarning"]


@dataclass(frozen=True)
class Violation:
    """One toolkit call made off the UI thread, located at the caller's own line.

    Frozen, safe to hand across threads. ``filename``, ``lineno`` and ``function`` name
    the innermost frame that is neither uidispatch's, nor one of its plugins', nor the
    toolkit's: the line of the app (or test) that made the call.
    """

    toolkit: str
    """The toolkit whose part caught it (``"tk"``, ``"qt"``, ``"kivy"``)."""
    operation: str
    """What was called: the toolkit method entered from the caller's line
    (``"Label.configure"``, ``"StringVar.set"``, ``"QLabel.setText"``, ``"QLabel()"``)."""
    thread_name: str
    """The name of the thread that made the call."""
    filename: str
    """The caller's file."""
    lineno: int
    """The caller's line."""
    function: str
    """The caller's function."""
    stack: str
    """The caller's stack, outermost frame first, as ``traceback.format_stack`` prints it."""

    def __str__(self) -> str:
        return (
            f"{self.operation} ({self.toolkit}) called from thread {self.thread_name!r}, "
            f"not the UI thread, at {self.filename}:{self.lineno} in {self.function}; "
            "hand it to the UI thread: d.call_soon(fn, *args), d.call(...) or @ud.main_thread"
        )


class WrongThreadWarning(UserWarning):
    """A toolkit call off the UI thread, in ``check_threads(mode="warn")``.

    Issued once per (file, line, operation), at the caller's line, so warning filters
    work on it: ``-W error::uidispatch.WrongThreadWarning`` turns it into an error raised
    in the calling thread before the toolkit call happens.
    """


class WrongThreadError(UIDispatchError, RuntimeError):
    """A toolkit call off the UI thread, in ``check_threads(mode="raise")``.

    Raised in the calling thread instead of the toolkit call, which does not happen.
    ``violation`` holds the record.
    """

    def __init__(self, violation: Violation) -> None:
        super().__init__(str(violation))
        self.violation = violation
