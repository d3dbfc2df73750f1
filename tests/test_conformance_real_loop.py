"""The conformance suite itself: it drives the toolkit's own loop, not only ``process_events``.

Three toy backends on an asyncio loop, installed through an entry point as a third party's
would be: one whose posts run only from ``process_events()`` (the deliberately broken one,
which passed the suite while it pumped only through ``process_events``), its working twin,
and one that supplies no ``run_loop``.
"""

from __future__ import annotations

import asyncio  # noqa: F401 - imported once for the session (pytester unloads modules)
import textwrap

import pytest

from uidispatch import _backends  # noqa: F401 - kept loaded across in-process runs

pytest_plugins = ["pytester"]

BACKENDS = '''
import asyncio
import collections
import threading
import time

from uidispatch.hookspecs import BackendSpec, hookimpl


class ToyAsyncioBackend:
    """Posts wait in a deque; DRAIN_IN_LOOP says whether the loop itself drains it."""

    DRAIN_IN_LOOP = True

    def __init__(self, name):
        self.name = name
        self.loop = asyncio.new_event_loop()
        self._thread = threading.get_ident()
        self._posted = collections.deque()

    def is_main_thread(self):
        return threading.get_ident() == self._thread

    def post(self, fn):
        self._posted.append(fn)
        if self.DRAIN_IN_LOOP and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._drain)

    def _drain(self):
        for _ in range(len(self._posted)):
            self._posted.popleft()()

    def call_later(self, delay, fn):
        return self.loop.call_later(delay, fn)

    def is_alive(self, obj):
        return True

    def process_events(self, timeout):
        # The broken backend's only drain: what a test pumping process_events() sees.
        self._drain()
        self.loop.run_until_complete(asyncio.sleep(min(timeout, 0.005)))
        self._drain()

    def on_app_closed(self, fn):
        pass

    def close(self):
        if not self.loop.is_closed():
            self.loop.close()


class BrokenBackend(ToyAsyncioBackend):
    DRAIN_IN_LOOP = False


def run_loop(backend, until, timeout):
    loop = backend.loop
    if loop.is_closed():  # close() closed it: the app is gone, nothing can run
        return

    async def main():
        deadline = loop.time() + timeout
        while not until() and loop.time() < deadline:
            await asyncio.sleep(0.005)

    loop.run_until_complete(main())


@hookimpl
def uidispatch_backends():
    return [
        BackendSpec(name="drains_in_loop", create=lambda app: ToyAsyncioBackend("drains_in_loop"),
                    run_loop=run_loop),
        BackendSpec(name="drains_in_process_events",
                    create=lambda app: BrokenBackend("drains_in_process_events"),
                    run_loop=run_loop),
        BackendSpec(name="no_run_loop", create=lambda app: ToyAsyncioBackend("no_run_loop")),
    ]
'''

SUITE = """
from uidispatch.testing.conformance import BackendConformance


class TestConformance(BackendConformance):
    backend = {name!r}
"""


def _install(pytester: pytest.Pytester) -> None:
    module = "toy_loop_backends"
    (pytester.path / f"{module}.py").write_text(BACKENDS)
    info = pytester.path / "uidispatch_toy_loop_backends-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: uidispatch-toy\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[uidispatch]\n{module} = {module}\n")
    pytester.syspathinsert()


# Each failing check waits out its timeout: a few representative checks keep this short.
SAMPLE = (
    "test_posts_and_timers_run_inside_the_toolkits_own_loop or "
    "test_call_soon_keeps_each_producers_order or test_posts_run_in_the_order or "
    "test_process_events_runs_a_post_made_before_it"
)


def _run(pytester: pytest.Pytester, name: str, *args: str) -> pytest.RunResult:
    _install(pytester)
    pytester.makepyfile(textwrap.dedent(SUITE.format(name=name)))
    # The FAILED lines are matched in the suite's order: no reordering plugin (pytest-randomly).
    return pytester.runpytest(
        "-p", "no:hypothesispytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-rfE", *args
    )


def test_a_backend_that_drains_only_from_process_events_fails_the_suite(
    pytester: pytest.Pytester,
) -> None:
    result = _run(pytester, "drains_in_process_events", "-k", SAMPLE)
    # Only the check of process_events itself passes: everything waits in the real loop.
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines(
        [
            "FAILED*test_call_soon_keeps_each_producers_order_across_four_producers*",
            "FAILED*test_posts_run_in_the_order_they_were_posted*",
            "FAILED*test_posts_and_timers_run_inside_the_toolkits_own_loop*",
        ],
        consecutive=False,
    )
    assert "inside the drains_in_process_events toolkit's own loop" in result.stdout.str()


def test_its_twin_that_drains_in_the_loop_passes_the_suite(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "drains_in_loop")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == outcomes.get("errors", 0) == 0, result.stdout.str()
    assert outcomes["passed"] >= 20


def test_a_backend_without_run_loop_fails_naming_the_field(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "no_run_loop", "-k", SAMPLE)
    # Without a runner the other checks pump process_events, as before; this one fails.
    result.assert_outcomes(failed=1, passed=3)
    result.stdout.fnmatch_lines(["FAILED*test_posts_and_timers_run_inside_the_toolkits_own_loop*"])
    assert "backend 'no_run_loop' supplies no BackendSpec.run_loop" in result.stdout.str()
