"""A closed asyncio loop closes its dispatcher, as a destroyed Tk root does."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import threading

import pytest

import uidispatch as ud
from uidispatch._core import _plugins


@pytest.fixture(autouse=True)
def builtins_only() -> None:
    """Detection among the built-ins alone: an imported toolkit ranks above asyncio."""
    _plugins.reset_registry(_plugins.load_registry([]))


def _run(code: str, timeout: float = 60) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return result


def test_quickstart_with_a_non_daemon_worker_in_call_exits_after_asyncio_run() -> None:
    # Before the fix the worker waited in call() forever and the process never exited:
    # a child process, so that hang fails this test by its timeout.
    result = _run(
        """
        import asyncio, json, threading
        import uidispatch as ud
        from uidispatch._core import _plugins
        _plugins.reset_registry(_plugins.load_registry([]))
        out = {}

        def worker(d):
            calls = 0
            try:
                while True:
                    d.call(lambda: None)
                    calls += 1
            except ud.DispatcherClosed as exc:
                out["calls"], out["error"] = calls, str(exc)

        async def main():
            d = ud.get_dispatcher()
            threading.Thread(target=worker, args=(d,)).start()  # not a daemon
            while not d.stats().executed:
                await asyncio.sleep(0.001)
            return d

        d = asyncio.run(main())
        for t in threading.enumerate():
            if t is not threading.main_thread():
                t.join()
        out["closed"] = d.closed
        print(json.dumps(out))
        """,
        timeout=30,
    )
    assert result["closed"] is True
    assert isinstance(result["calls"], int)
    assert result["calls"] > 0
    assert "closed" in str(result["error"])


def test_posts_after_asyncio_run_raise_instead_of_piling_up() -> None:
    async def main() -> ud.Dispatcher:
        return ud.get_dispatcher()

    d = asyncio.run(main())
    assert d.closed
    with pytest.raises(ud.DispatcherClosed, match=r"call_soon\(.*\) on a closed dispatcher"):
        d.call_soon(print, "never")
    with pytest.raises(ud.DispatcherClosed):
        d.call(print)
    assert d.stats().pending == 0


def test_a_worker_waiting_in_call_is_released_when_the_loop_closes() -> None:
    loop = asyncio.new_event_loop()
    d = ud.get_dispatcher("asyncio", app=loop)
    outcome: list[BaseException] = []
    started = threading.Event()

    def worker() -> None:
        started.set()
        try:
            d.call(lambda: None)
        except BaseException as exc:
            outcome.append(exc)

    t = threading.Thread(target=worker, daemon=True)
    t.start()
    assert started.wait(10)
    # The entry may or may not be queued yet: both must end in DispatcherClosed.
    loop.close()
    t.join(10)
    assert not t.is_alive(), "the worker still waits in call() after loop.close()"
    [error] = outcome
    assert isinstance(error, ud.DispatcherClosed)
    assert d.closed
    assert d.stats().pending == 0


def test_a_loop_closed_behind_the_watch_is_noticed_by_the_next_post() -> None:
    loop = asyncio.new_event_loop()
    d = ud.get_dispatcher("asyncio", app=loop)
    type(loop).close(loop)  # not through the instance's close: as a compiled loop would
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            d.call_soon(print, "never")
        except BaseException as exc:  # the dispatcher closed while we posted: also fine
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    assert d.closed
    stats = d.stats()
    assert stats.pending == 0
    assert stats.dropped + len(errors) == 1, (stats, errors)


def test_get_dispatcher_after_the_loop_closed_binds_the_next_loop() -> None:
    async def get() -> ud.Dispatcher:
        return ud.get_dispatcher()

    first = asyncio.run(get())
    second = asyncio.run(get())
    assert first.closed
    assert second.closed
    assert first is not second


def test_binding_a_closed_loop_is_refused() -> None:
    loop = asyncio.new_event_loop()
    loop.close()
    with pytest.raises(ValueError, match=r"app=.* is a closed asyncio event loop"):
        ud.get_dispatcher("asyncio", app=loop)


def test_closing_the_loop_while_it_runs_closes_nothing() -> None:
    async def main() -> ud.Dispatcher:
        d = ud.get_dispatcher()
        with pytest.raises(RuntimeError, match="running event loop"):
            asyncio.get_running_loop().close()
        assert not d.closed
        assert await asyncio.to_thread(d.call, lambda: 42) == 42
        return d

    assert asyncio.run(main()).closed


def test_watching_a_loop_keeps_neither_loop_nor_dispatcher_alive() -> None:
    import gc
    import weakref

    loop = asyncio.new_event_loop()
    d = ud.get_dispatcher("asyncio", app=loop)
    refs = [weakref.ref(loop), weakref.ref(d)]
    d.close()
    loop.close()
    del loop, d
    ud.use(None)
    from uidispatch._core import _registry

    _registry.reset()
    gc.collect()
    assert [r() for r in refs] == [None, None]
