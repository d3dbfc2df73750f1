"""The asyncio backend against a real asyncio loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

import uidispatch as ud
from uidispatch._core import _plugins
from uidispatch.testing import wait_until


@pytest.fixture
def builtins_only() -> None:
    """Detection among the built-ins alone: an imported toolkit ranks above asyncio."""
    _plugins.reset_registry(_plugins.load_registry([]))


@pytest.mark.usefixtures("builtins_only")
def test_detected_inside_a_running_loop_and_marshals_from_threads() -> None:
    async def main() -> list[tuple[int, int]]:
        d = ud.get_dispatcher()
        assert d.backend.name == "asyncio"
        out: list[tuple[int, int]] = []
        done = asyncio.Event()
        loop_thread = threading.get_ident()

        def produce(i: int) -> None:
            for j in range(2_000):
                d.call_soon(out.append, (i, j))
            d.call_soon(lambda: None)

        threads = [threading.Thread(target=produce, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        while len(out) < 8_000:
            await asyncio.sleep(0.001)
        for t in threads:
            t.join(5)
        seen_thread = d.call(threading.get_ident)
        assert seen_thread == loop_thread
        done.set()
        d.close()
        return out

    out = asyncio.run(main())
    for i in range(4):
        assert [j for k, j in out if k == i] == list(range(2_000))


def test_call_from_a_worker_inside_a_running_loop() -> None:
    async def main() -> int:
        d = ud.get_dispatcher("asyncio")
        result = await asyncio.to_thread(d.call, lambda: threading.get_ident())
        d.close()
        return result

    assert asyncio.run(main()) == threading.get_ident()


@pytest.mark.usefixtures("builtins_only")
def test_a_new_loop_binds_a_new_dispatcher() -> None:
    async def get() -> ud.Dispatcher:
        return ud.get_dispatcher()

    first = asyncio.run(get())
    second = asyncio.run(get())
    assert first is not second


def test_process_events_pumps_an_idle_loop() -> None:
    d = ud.get_dispatcher("asyncio")
    out: list[int] = []
    t = threading.Thread(target=lambda: d.call_soon(out.append, 1))
    t.start()
    t.join(5)
    wait_until(d, lambda: out == [1])
    h = d.call_later(0.01, out.append, 2)
    wait_until(d, lambda: out == [1, 2])
    assert h.cancelled is False
    d.close()
    assert d.backend.loop.is_closed()  # type: ignore[attr-defined]


def test_process_events_inside_a_running_loop_is_refused() -> None:
    async def main() -> None:
        d = ud.get_dispatcher("asyncio")
        with pytest.raises(RuntimeError, match="await instead"):
            d.backend.process_events(0.01)
        d.close()

    asyncio.run(main())


def test_asyncio_app_must_be_a_loop() -> None:
    with pytest.raises(TypeError, match=r"app must be an asyncio event loop.*got 'root'"):
        ud.get_dispatcher("asyncio", app="root")
