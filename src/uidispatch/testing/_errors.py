"""Collecting callback errors so that a test cannot swallow one unnoticed."""

from __future__ import annotations

import logging

__all__ = ["ErrorCollector"]

logger = logging.getLogger("uidispatch")


class ErrorCollector:
    """An error handler that records ``(exception, callback)`` pairs and logs them.

    The ``virtual_dispatcher`` fixture installs one and fails the test at teardown when
    it caught anything; a test that expects errors calls :meth:`take` to claim them.
    """

    def __init__(self) -> None:
        self.errors: list[tuple[BaseException, object]] = []

    def __call__(self, exc: BaseException, callback: object) -> None:
        """Record and log one error."""
        self.errors.append((exc, callback))
        logger.error("callback %r raised", callback, exc_info=(type(exc), exc, exc.__traceback__))

    def take(self) -> list[BaseException]:
        """Return the exceptions caught so far and forget them."""
        taken = [exc for exc, _ in self.errors]
        self.errors.clear()
        return taken
