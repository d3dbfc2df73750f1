"""The demo's async panel: coroutines on the UI thread through ``uidispatch.aio``.

:class:`AsyncPanel` starts an asyncio loop as a guest of the toolkit's loop
(``aio.start``); its ``main`` serves a local echo server (127.0.0.1, a free port). The
buttons are ``@aio.handler`` coroutines: *Echo* connects with ``asyncio.open_connection``,
sends a line and shows the reply with its round-trip time; *Countdown* counts down on
``asyncio.sleep`` and starts over when pressed again. Each coroutine writes its label
straight from the UI thread: no worker, no hop back. Closing the window cancels the run;
it ends (server and connections closed, the loop closed) before the dispatcher does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import uidispatch as ud
from uidispatch import aio

__all__ = ["COUNT_FROM", "PARTS", "AsyncPanel", "AsyncView"]

COUNT_FROM = 10
"""Where the countdown starts; it ticks once a second (the self-test ticks faster)."""
ECHO_TIMEOUT = 5.0
PARTS = ("server", "echo", "countdown")
"""The panel's lines, as ``AsyncView.aio_changed`` names them."""


class AsyncView:
    """What a view draws for the async panel. Main thread only; the default draws nothing."""

    def aio_changed(self, part: str, text: str) -> None:
        """A line of the async panel changed (``part``: one of :data:`PARTS`)."""


class AsyncPanel:
    """The async panel's state and coroutines, toolkit-neutral. Main thread only.

    ``sent``, ``replies``, ``rtts``, ``zeros`` and ``restarts`` record what happened (the
    self-test checks them); ``error`` says why the panel is off, if it is.
    """

    def __init__(self, dispatcher: ud.Dispatcher, view: AsyncView) -> None:
        self.d = dispatcher
        self.view = view
        self.run: aio.Run | None = None
        self.error: str | None = None
        self.port: int | None = None
        self.sent: list[str] = []
        self.replies: list[str] = []
        self.rtts: list[float] = []
        self.zeros = 0  # countdowns that reached 0
        self.restarts = 0  # countdowns cancelled by a newer one
        self._ready = asyncio.Event()  # binds to the guest loop at its first wait
        self._clients: set[asyncio.StreamWriter] = set()
        self._countdown: asyncio.Task[Any] | None = None
        self._echo = aio.handler(self._echo_once)
        self._count = aio.handler(self._count_down)

    def start(self) -> None:
        """Start the guest run: the echo server, and the loop the buttons' coroutines join."""
        try:
            self.run = aio.start(self._serve, dispatcher=self.d)
        except RuntimeError as exc:  # an asyncio the guest loop was not checked against
            self.error = str(exc)
            self.view.aio_changed("server", f"async panel off: {exc}")
            return
        self.view.aio_changed("server", "echo server starting...")

    @property
    def active(self) -> bool:
        """True while the run takes new coroutines (it started and has not ended)."""
        return self.run is not None and self.run.accepting

    @property
    def ended(self) -> bool:
        """True once the run finished and its loop was closed (or it never started)."""
        return self.run is None or self.run.done

    # ------------------------------------------------------------------ actions

    def echo(self) -> None:
        """Send one line to the echo server and show the reply (a button's command)."""
        if self.active:
            self._echo()

    def count_down(self, start: int = COUNT_FROM, step: float = 1.0) -> None:
        """Count down from ``start``, one tick per ``step`` seconds; restarts a running one."""
        if self.active:
            self._count(start, step)

    def close(self) -> None:
        """Cancel the run (idempotent); it ends once the dispatcher closes, if not before."""
        if self.run is not None:
            self.run.cancel()

    # ------------------------------------------------------------------ coroutines

    async def _serve(self) -> None:
        server = await asyncio.start_server(self._reply, "127.0.0.1", 0)
        try:
            self.port = int(server.sockets[0].getsockname()[1])
            self._ready.set()
            self.view.aio_changed(
                "server", f"echo server on 127.0.0.1:{self.port}, in the UI thread's asyncio loop"
            )
            await asyncio.Event().wait()  # serve until the window closes (the run is cancelled)
        finally:
            server.close()
            for writer in list(self._clients):  # 3.12+ wait_closed() waits for them
                writer.close()
            await server.wait_closed()

    async def _reply(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while line := await reader.readline():
                writer.write(line)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._clients.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _echo_once(self) -> None:
        await self._ready.wait()
        line = f"hello #{len(self.sent) + 1} from the UI thread"
        self.sent.append(line)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                t0 = time.perf_counter()
                writer.write(line.encode() + b"\n")
                await writer.drain()
                reply = await asyncio.wait_for(reader.readline(), ECHO_TIMEOUT)
                rtt = time.perf_counter() - t0
            finally:
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()
        except (OSError, asyncio.TimeoutError) as exc:
            self.view.aio_changed("echo", f"echo failed: {exc!r}")
            return
        text = reply.decode().rstrip("\n")
        self.replies.append(text)
        self.rtts.append(rtt)
        self.view.aio_changed("echo", f"{text!r} came back in {rtt * 1000:.2f} ms")

    async def _count_down(self, start: int, step: float) -> None:
        old, self._countdown = self._countdown, asyncio.current_task()
        if old is not None and not old.done():
            old.cancel()  # restartable: the newer countdown replaces it
            self.restarts += 1
        for n in range(start, 0, -1):
            self.view.aio_changed("countdown", f"countdown: {n}")
            await asyncio.sleep(step)
        self.zeros += 1
        self.view.aio_changed("countdown", "countdown: 0, done")
