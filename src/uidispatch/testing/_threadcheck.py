"""The wrong-thread checker in pytest: an option, a fixture and a marker.

- ``pytest --ud-check-threads`` (or ``=raise``) checks the whole session: a toolkit call
  off the UI thread raises ``ud.WrongThreadError`` where it is made, and fails the test
  that was running, even when the worker swallowed the error or died of it.
  ``--ud-check-threads=warn`` warns instead (``-W error::uidispatch.WrongThreadWarning``
  makes those errors in the calling thread).
- ``@pytest.mark.allow_wrong_thread``: the test's wrong-thread calls go through, are
  recorded in ``thread_violations``, and neither raise nor fail it.
- ``thread_violations``: the list of this test's violations, filled as they happen; with
  no session check, requesting it checks this test in ``"record"`` mode.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

import uidispatch as ud
from uidispatch._addons._threadcheck import ThreadChecker

__all__ = ["thread_violations"]

OPTION = "--ud-check-threads"
MARKER = "allow_wrong_thread"
_checker_key = pytest.StashKey["_SessionChecker"]()
_violations_key = pytest.StashKey[list[ud.Violation]]()
_checked_key = pytest.StashKey[int]()


class _SessionChecker(ThreadChecker):
    """A check whose record is per test and whose mode yields to the marker."""

    def __init__(self, mode: str) -> None:
        super().__init__("record")
        self.session_mode = mode
        self.current: list[ud.Violation] | None = None
        self.allowed = False

    def begin(self, record: list[ud.Violation], allowed: bool) -> None:
        with self._lock:
            self._seen.clear()  # one report per line per test: each test sees its own
            self.current = record
            self.allowed = allowed

    def end(self) -> None:
        self.current = None
        self.allowed = False

    def _action(self, violation: ud.Violation, first: bool) -> str | None:
        record = self.current
        if first and record is not None:
            record.append(violation)
        if self.allowed:
            return None
        if self.session_mode == "raise":
            return "raise"
        return "warn" if self.session_mode == "warn" and first else None


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--ud-check-threads[=warn|raise]``."""
    parser.getgroup("uidispatch").addoption(
        OPTION,
        dest="ud_check_threads",
        nargs="?",
        const="raise",
        default=None,
        choices=("warn", "raise"),
        metavar="MODE",
        help=(
            "report toolkit calls made off the UI thread: 'raise' (the default when no "
            "MODE is given; the call raises and the test fails) or 'warn'. Write it "
            "--ud-check-threads=MODE, so a test path is not taken for MODE"
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; start the session check when asked for."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}: let this test's toolkit calls off the UI thread through (recorded in "
        "the `thread_violations` fixture, never raised)",
    )
    mode = config.getoption("ud_check_threads", None)
    if mode:
        checker = _SessionChecker(mode)
        checker.start()
        config.stash[_checker_key] = checker


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the session check."""
    checker = config.stash.get(_checker_key, None)
    if checker is not None:
        checker.stop()
        del config.stash[_checker_key]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Give each test its own record, from setup to teardown."""
    record: list[ud.Violation] = []
    item.stash[_violations_key] = record
    checker = item.config.stash.get(_checker_key, None)
    if checker is not None:
        checker.begin(record, allowed=item.get_closest_marker(MARKER) is not None)
    try:
        return (yield)
    finally:
        if checker is not None:
            checker.end()


def _fail_on_violations(item: pytest.Item) -> None:
    checker = item.config.stash.get(_checker_key, None)
    record = item.stash.get(_violations_key, [])
    since = item.stash.get(_checked_key, 0)
    item.stash[_checked_key] = len(record)
    if checker is None or checker.session_mode != "raise" or checker.allowed:
        return
    found = record[since:]
    if found:
        lines = "\n".join(f"  {v}" for v in found)
        pytest.fail(
            f"{len(found)} toolkit call(s) made off the UI thread (--ud-check-threads):\n"
            f"{lines}\n(mark the test @pytest.mark.{MARKER} if that is what it tests)",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail the test whose worker made a wrong-thread call, even if the error was lost."""
    try:
        result = yield
    except BaseException:
        # The test failed already (maybe of the very error): it keeps its own failure.
        item.stash[_checked_key] = len(item.stash.get(_violations_key, []))
        raise
    _fail_on_violations(item)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    """Violations that came after the test body (a worker still running) fail it here."""
    result = yield
    _fail_on_violations(item)
    return result


@pytest.fixture
def thread_violations(request: pytest.FixtureRequest) -> Iterator[list[ud.Violation]]:
    """The toolkit calls this test made off the UI thread, as :class:`uidispatch.Violation`.

    Filled as they happen, one per (file, line, operation). Under ``--ud-check-threads``
    it is the session check's record for this test; without it, requesting the fixture
    checks this test in ``"record"`` mode (calls go through, nothing is raised).
    """
    record = request.node.stash.get(_violations_key, None)
    if record is None:  # collected outside the usual protocol
        record = []
    if request.config.stash.get(_checker_key, None) is not None:
        yield record
        return
    checker = _SessionChecker("record")
    checker.begin(record, allowed=True)
    checker.start()
    try:
        yield record
    finally:
        checker.stop()
