"""The wrong-thread checker in pytest: ``--ud-check-threads``, ``thread_violations``, the marker.

The inner test runs use the fake toolkit of ``test_check_threads`` (its part registered
with the plugin manager by the ``faketk`` fixture).
"""

from __future__ import annotations

import pytest
from test_check_threads import fake_modules, faketk  # noqa: F401  # fixtures

pytest_plugins = ["pytester"]

HELPERS = """
import threading
import pytest
import faketk
import uidispatch as ud

W = faketk.Widget()


def in_thread(fn):
    # Swallows what the worker raised: the failure must come from the plugin.
    raised = []
    def run():
        try:
            fn()
        except BaseException as exc:
            raised.append(exc)
    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    return raised
"""


def line_in(source: str, text: str) -> int:
    """The line number of the first line of ``source`` holding ``text``."""
    # makepyfile strips the source, as here.
    return next(i for i, line in enumerate(source.strip().splitlines(), 1) if text in line)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:randomly", *args)


@pytest.mark.usefixtures("faketk")
def test_raise_mode_fails_the_test_whose_worker_swallowed_the_error(
    pytester: pytest.Pytester,
) -> None:
    source = (
        HELPERS
        + """
def test_wrong():
    errors = in_thread(lambda: W.set_text("x"))
    assert type(errors[0]).__name__ == "WrongThreadError"
    assert W.text is None


def test_right():
    W.set_text("main")
"""
    )
    pytester.makepyfile(source)
    line = line_in(source, 'W.set_text("x")')
    result = run(pytester, "--ud-check-threads")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*1 toolkit call(s) made off the UI thread (--ud-check-threads):",
            f"*Widget.set_text (faketk) called from thread*test_raise_mode*.py:{line} in <lambda>*",
            "FAILED *::test_wrong*",
        ]
    )


@pytest.mark.usefixtures("faketk")
def test_each_test_is_failed_for_its_own_violations_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        HELPERS
        + """
def touch():
    W.set_text("x")


def test_first():
    in_thread(touch)


def test_second():
    in_thread(touch)  # the same line again: reported again, for this test


def test_third():
    pass
"""
    )
    result = run(pytester, "--ud-check-threads=raise")
    result.assert_outcomes(passed=1, failed=2)


@pytest.mark.usefixtures("faketk")
def test_the_marker_lets_calls_through_and_the_fixture_records_them(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        HELPERS
        + """
@pytest.mark.allow_wrong_thread
def test_allowed(thread_violations):
    assert in_thread(lambda: W.set_text("x")) == []
    assert W.text == "x"
    [v] = thread_violations
    assert (v.operation, v.function) == ("Widget.set_text", "<lambda>")


def test_next_test_starts_empty(thread_violations):
    assert thread_violations == []
"""
    )
    run(pytester, "--ud-check-threads", "--strict-markers").assert_outcomes(passed=2)


@pytest.mark.usefixtures("faketk")
def test_the_fixture_alone_records_without_raising(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        HELPERS
        + """
def test_records(thread_violations):
    assert in_thread(lambda: W.set_text("x")) == []
    assert [v.operation for v in thread_violations] == ["Widget.set_text"]


def test_without_fixture_nothing_is_checked():
    assert in_thread(lambda: W.set_text("y")) == []
"""
    )
    run(pytester).assert_outcomes(passed=2)


@pytest.mark.usefixtures("faketk")
def test_warn_mode_warns_at_the_tests_line(pytester: pytest.Pytester) -> None:
    source = (
        HELPERS
        + """
def test_warns():
    assert in_thread(lambda: W.set_text("x")) == []
    assert W.text == "x"
"""
    )
    pytester.makepyfile(source)
    line = line_in(source, 'W.set_text("x")')
    result = run(pytester, "--ud-check-threads=warn", "-W", "default")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"*test_warn_mode_warns*.py:{line}: WrongThreadWarning: Widget.set_text*"]
    )


@pytest.mark.usefixtures("faketk")
def test_warnings_as_errors_raise_in_the_worker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        HELPERS
        + """
def test_raises_in_worker():
    [exc] = in_thread(lambda: W.set_text("x"))
    assert isinstance(exc, ud.WrongThreadWarning)
    assert W.text is None
"""
    )
    result = run(pytester, "--ud-check-threads=warn", "-W", "error::uidispatch.WrongThreadWarning")
    result.assert_outcomes(passed=1)


def test_an_unknown_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass\n")
    result = run(pytester, "--ud-check-threads=loud")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--ud-check-threads*invalid choice: 'loud'*"])
