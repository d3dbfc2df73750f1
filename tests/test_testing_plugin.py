"""The uidispatch pytest plugin: the dispatcher fixtures, their error check, the test-app hook."""

from __future__ import annotations

import asyncio  # noqa: F401 - see below
import os
import textwrap
import threading
from pathlib import Path

import pytest

import uidispatch as ud
from uidispatch import _backends  # noqa: F401 - see below
from uidispatch.testing import ErrorCollector, ensure_display, wait_until
from uidispatch.testing.conformance import CountingBackend

# pytester's in-process runs unload the modules they import; imported here first, the
# built-in backends and asyncio stay one module each for the whole session.

pytest_plugins = ["pytester"]

ONLY_HEADLESS = "--uidispatch-backends=virtual,asyncio"


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # hypothesis's plugin re-imports itself in every in-process run (1.2 s each): not needed.
    # The inner files' tests run in file order (test_after checks what test_first left): a
    # reordering plugin such as pytest-randomly, when installed, must not shuffle them.
    return pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:randomly", *args)


def fake_distribution(root: Path, name: str, module: str, source: str) -> None:
    """A plugin 'installed' on sys.path: a module plus a dist-info naming its entry point."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"  # the name a wheel would give it
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[uidispatch]\n{module} = {module}\n")


MISSING_TOOLKIT = """
from uidispatch.hookspecs import BackendSpec, hookimpl

@hookimpl
def uidispatch_backends():
    return [BackendSpec(name="gtkfake", create=lambda app: None,
                        requires=("no_such_toolkit_for_uidispatch",))]
"""


def test_dispatcher_runs_once_per_selected_backend_as_the_default(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import threading
        import uidispatch as ud

        def test_bound(dispatcher, uidispatch_backend):
            assert dispatcher.backend.name == uidispatch_backend
            assert ud.get_dispatcher() is dispatcher
            assert dispatcher.is_main_thread()
            out = []
            t = threading.Thread(target=dispatcher.call_soon, args=(out.append, 1))
            t.start()
            t.join()
            assert dispatcher.run_until(lambda: out == [1], 5)
        """
    )
    result = run(pytester, "-v", ONLY_HEADLESS)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*test_bound[[]asyncio[]] PASSED*", "*test_bound[[]virtual[]] PASSED*"]
    )


def test_dispatcher_is_closed_and_the_default_reset_after_the_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import uidispatch as ud

        seen = []

        def test_first(dispatcher):
            seen.append(dispatcher)

        def test_after():
            assert seen[0].closed
            assert ud.get_dispatcher("virtual") is not seen[0]
        """
    )
    run(pytester, "--uidispatch-backends=virtual").assert_outcomes(passed=2)


def test_every_installed_backend_is_a_case(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(dispatcher):\n    pass\n")
    result = run(pytester, "--collect-only", "-q")
    for name, info in ud.backends().items():
        if info.loaded:
            result.stdout.fnmatch_lines([f"*test_x[[]{name}[]]*"])


def test_missing_toolkits_and_broken_plugins_are_declared_not_hidden(
    pytester: pytest.Pytester,
) -> None:
    fake_distribution(pytester.path, "uidispatch-gtkfake", "fake_gtk_plugin", MISSING_TOOLKIT)
    fake_distribution(
        pytester.path, "uidispatch-broken", "fake_broken_plugin", "raise ImportError('no lib')"
    )
    pytester.syspathinsert()
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.uidispatch_backends("virtual", "gtkfake", "fake_broken_plugin", "wx")
        def test_x(dispatcher):
            pass
        """
    )
    result = run(pytester, "-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(
        [
            "uidispatch backends: *virtual*",
            "uidispatch backend 'fake_broken_plugin' not tested here: its plugin failed*no lib*",
            "uidispatch backend 'gtkfake' not tested here: needs no_such_toolkit_for_uidispatch*",
            "*'gtkfake': needs no_such_toolkit_for_uidispatch, which is not installed*",
            "*'wx': not installed (installed: *virtual*)*",
        ],
        consecutive=False,
    )


def test_uncaught_callback_error_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from uidispatch.testing import wait_until

        def boom():
            raise ValueError("lost in a callback")

        def test_swallowed(dispatcher):
            dispatcher.call_soon(boom)
            wait_until(dispatcher, lambda: dispatcher.stats().errors == 1)

        def test_claimed(dispatcher):
            dispatcher.call_soon(boom)
            wait_until(dispatcher, lambda: dispatcher.stats().errors == 1)
            [exc] = dispatcher.error_handler.take()
            assert str(exc) == "lost in a callback"

        def test_virtual_swallowed(virtual_dispatcher):
            virtual_dispatcher.call_soon(boom)
            virtual_dispatcher.backend.process_events(0)
        """
    )
    result = run(pytester, ONLY_HEADLESS)
    result.assert_outcomes(passed=5, errors=3)
    result.stdout.fnmatch_lines(
        ["*uncaught exceptions in main-thread callbacks*lost in a callback*"]
    )


def test_a_test_app_hook_in_conftest_overrides_the_builtin_setup(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import contextlib
        import uidispatch as ud

        EVENTS = []

        @contextlib.contextmanager
        def custom():
            d = ud.get_dispatcher("virtual")
            d.custom = True
            EVENTS.append("setup")
            yield d
            d.close()
            EVENTS.append("teardown")

        def pytest_uidispatch_test_app(name, request):
            return custom() if name == "virtual" else None
        """
    )
    pytester.makepyfile(
        """
        from conftest import EVENTS

        def test_custom(dispatcher):
            assert getattr(dispatcher, "custom", False)

        def test_after():
            assert EVENTS == ["setup", "teardown"]
        """
    )
    run(pytester, "--uidispatch-backends=virtual").assert_outcomes(passed=2)


def test_a_toolkit_that_fails_to_import_at_setup_skips_with_the_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import contextlib

        @contextlib.contextmanager
        def broken():
            raise ImportError("libtk8.6.so: cannot open shared object file")
            yield

        def pytest_uidispatch_test_app(name, request):
            return broken() if name == "virtual" else None
        """
    )
    pytester.makepyfile("def test_x(dispatcher):\n    pass\n")
    result = run(pytester, "--uidispatch-backends=virtual", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*'virtual': libtk8.6.so: cannot open*"])


def test_backend_choice_per_test_by_marker_parametrize_class_or_env(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from uidispatch.testing.conformance import BackendConformance

        @pytest.mark.uidispatch_backends("asyncio")
        def test_marked(dispatcher):
            pass

        @pytest.mark.parametrize("uidispatch_backend", ["virtual"])
        def test_parametrized(dispatcher):
            pass

        class TestSuite(BackendConformance):
            backend = "virtual"
        """
    )
    result = run(pytester, "--collect-only", "-q")
    lines = [line for line in result.outlines if "::" in line]
    assert [line for line in lines if "test_marked" in line] == [
        "test_backend_choice_per_test_by_marker_parametrize_class_or_env.py::test_marked[asyncio]"
    ]
    assert [line for line in lines if "test_parametrized" in line] == [
        "test_backend_choice_per_test_by_marker_parametrize_class_or_env.py"
        "::test_parametrized[virtual]"
    ]
    suite = [line for line in lines if "TestSuite" in line]
    assert len(suite) > 20
    assert all(line.endswith("[virtual]") for line in suite)

    pytester.makepyfile(test_env="def test_x(dispatcher):\n    pass\n")
    monkeypatch.setenv("UIDISPATCH_TEST_BACKENDS", "asyncio")
    result = run(pytester, "test_env.py", "--collect-only", "-q")
    assert [line for line in result.outlines if "::" in line] == ["test_env.py::test_x[asyncio]"]


# ---------------------------------------------------------------- the helpers themselves


def test_testing_exports_are_pinned() -> None:
    import uidispatch.testing
    import uidispatch.testing.conformance

    assert uidispatch.testing.__all__ == [
        "ErrorCollector",
        "dev_mode_stderr",
        "ensure_display",
        "open_test_app",
        "wait_until",
    ]
    assert uidispatch.testing.conformance.__all__ == ["BackendConformance", "CountingBackend"]
    for module in (uidispatch.testing, uidispatch.testing.conformance):
        for name in module.__all__:
            assert getattr(module, name).__doc__, name


def test_wait_until_names_what_it_waited_for(virtual_dispatcher: ud.Dispatcher) -> None:
    with pytest.raises(AssertionError, match=r"timed out after 0.01 s waiting for the moon"):
        wait_until(virtual_dispatcher, lambda: False, 0.01, "the moon")


def test_error_collector_records_and_hands_over(caplog: pytest.LogCaptureFixture) -> None:
    collector = ErrorCollector()
    exc = ValueError("x")
    collector(exc, print)
    assert collector.errors == [(exc, print)]
    assert collector.take() == [exc]
    assert collector.errors == []
    assert "callback <built-in function print> raised" in caplog.text


def test_counting_backend_counts_wakeups_and_runs(virtual_dispatcher: ud.Dispatcher) -> None:
    counting = CountingBackend(virtual_dispatcher.backend)
    d = ud.Dispatcher(counting)
    out: list[int] = []
    worker = threading.Thread(target=lambda: [d.call_soon(out.append, i) for i in range(1_000)])
    worker.start()
    worker.join()
    assert counting.posts == 1
    assert counting.now() == virtual_dispatcher.backend.now()  # type: ignore[attr-defined]
    wait_until(d, lambda: len(out) == 1_000)
    assert counting.runs == 1
    d.close()
    assert not virtual_dispatcher.closed  # the wrapped backend stays with its owner


def test_ensure_display_keeps_an_existing_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":4242")
    assert ensure_display() == ":4242"
    assert os.environ["DISPLAY"] == ":4242"


def test_ensure_display_names_the_package_when_xvfb_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RuntimeError, match="install the 'xvfb' system package"):
        ensure_display()
