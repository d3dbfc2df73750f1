"""A ``BackendSpec.run_loop`` for backends whose main loop is an asyncio event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["run_asyncio_loop"]


def run_asyncio_loop(
    loop: asyncio.AbstractEventLoop, until: Callable[[], object], timeout: float
) -> None:
    """Run ``loop`` until ``until()`` holds or ``timeout`` seconds passed. Its thread only.

    What an app's ``loop.run_until_complete(...)`` does, so posts and timers run exactly as
    in the app. A closed loop returns at once: the app is gone and nothing can run.
    """
    if loop.is_closed():
        return

    async def wait() -> None:
        deadline = loop.time() + timeout
        while not until() and loop.time() < deadline:
            await asyncio.sleep(0.005)

    loop.run_until_complete(wait())
