"""The background asyncio loop on which a pool runs coroutine functions."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")


def new_plain_loop() -> asyncio.AbstractEventLoop:
    """A new loop of the platform's own asyncio class, whatever event loop policy is set.

    ``asyncio.new_event_loop()`` asks the installed policy, and qasync's policy answers
    with a second ``QEventLoop``, which cannot run off the GUI thread ("QApplication::exec:
    Must be called from the main thread"): coroutine tasks then never ran under
    ``qasync.run()`` on Python 3.10/3.11. The background loop only ever needs
    plain asyncio.
    """
    factory = getattr(asyncio, "EventLoop", None)  # 3.13+: the platform's default class
    if factory is None:  # pragma: no cover - depends on the Python version
        if sys.platform == "win32":
            factory = asyncio.ProactorEventLoop
        else:
            factory = asyncio.SelectorEventLoop
    loop: asyncio.AbstractEventLoop = factory()
    return loop


class LoopThread:
    """One asyncio loop on one daemon thread, started on first use, stopped by :meth:`close`.

    All of a pool's coroutine functions share it, so they run concurrently without
    taking a worker each. A closed LoopThread starts afresh when used again.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []

    def owns(self, thread: threading.Thread) -> bool:
        """True when ``thread`` is (or was) this loop's thread."""
        return thread in self._threads

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the loop; its future's ``cancel()`` cancels it. Any thread."""
        with self._lock:
            loop = self._loop
            if loop is None:
                loop = self._loop = new_plain_loop()
                ready = threading.Event()
                self._thread = threading.Thread(
                    target=self._main, args=(loop, ready), name=self._name, daemon=True
                )
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(self._thread)
                self._thread.start()
                ready.wait()
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def close(self, wait: bool = True) -> None:
        """Cancel what still runs, stop the loop and close it. Any thread; idempotent."""
        with self._lock:
            loop = self._loop
            self._loop = self._thread = None
            threads = list(self._threads)
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # already closed
                loop.call_soon_threadsafe(loop.stop)
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()

    @staticmethod
    def _main(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            try:
                # As asyncio.run does: let what is left see its cancellation.
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                asyncio.set_event_loop(None)
                loop.close()
