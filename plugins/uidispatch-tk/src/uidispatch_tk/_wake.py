"""Waking the Tk thread from any thread without the waking thread ever calling Tcl.

With a threaded Tcl, ``_tkinter`` makes every Tcl call from another thread (``after``,
``event_generate``, a ``createcommand`` proc) wait until the Tk thread runs it; a worker
posting that way stalls whenever the UI is busy and deadlocks a UI thread that is joining
it. Here the waking thread only touches an OS object Tk is watching:

- :class:`PipeWake` (POSIX): one byte into a non-blocking pipe whose read end is registered
  with ``tkapp.createfilehandler``; Tcl's notifier sees it readable and the handler runs on
  the Tk thread.
- :class:`SocketWake` (Windows, where ``_tkinter`` has no ``createfilehandler``): one byte
  into a loopback TCP connection whose far end is a Tcl socket channel with a ``fileevent``
  handler, serviced by the Tk thread's own notifier.

Both are written to only on the core's idle -> scheduled transition (one byte per batch of
calls, never per call), and a full buffer is not an error: it means a wake-up is pending.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["PipeWake", "SocketWake", "Wake"]

_names = itertools.count(1)

# tkinter.READABLE; repeated here so this module never imports tkinter itself.
_READABLE = 2


class Wake(Protocol):
    """A way to run a callback on the Tk thread, signalled from any thread."""

    def wake(self) -> None:
        """Make the Tk thread run the callback soon. Any thread; never blocks; no-op after close."""

    def close(self, tkapp: Any) -> None:
        """Unregister from Tk and release the OS resources. Tk thread only; idempotent."""


class PipeWake:
    """Wakes Tk through a pipe watched by ``createfilehandler`` (POSIX ``_tkinter`` only).

    ``on_wake`` runs on the Tk thread after the pending bytes were read. Create it on
    the Tk thread: ``createfilehandler`` refuses other threads.
    """

    def __init__(self, tkapp: Any, on_wake: Callable[[], None]) -> None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        # The lock orders a worker's write against close(): once close() has closed the
        # descriptor its number may be reused by an unrelated file, so a late write must
        # find -1 instead.
        self._lock = threading.Lock()
        self._read_fd = read_fd
        self._write_fd = write_fd

        def readable(_fd: object, _mask: int) -> None:
            try:
                while len(os.read(read_fd, 4096)) == 4096:
                    pass
            except BlockingIOError:
                pass
            on_wake()

        # Kept here too: close() may run inside this very handler (the root destroyed by a
        # callback it ran), and _tkinter drops its reference on deletefilehandler.
        self._handler = readable
        try:
            tkapp.createfilehandler(read_fd, _READABLE, readable)
        except BaseException:
            os.close(read_fd)
            os.close(write_fd)
            raise

    def wake(self) -> None:
        """Write one byte; a full pipe already means a wake-up is pending. Any thread."""
        with self._lock:
            if self._write_fd < 0:
                return
            with contextlib.suppress(BlockingIOError):
                os.write(self._write_fd, b"\0")

    def close(self, tkapp: Any) -> None:
        """Delete the file handler, then close both ends. Tk thread only; idempotent."""
        with self._lock:
            read_fd, write_fd = self._read_fd, self._write_fd
            self._read_fd = self._write_fd = -1
            if read_fd < 0:
                return
            # Unregister before closing: Tcl's notifier must never watch a closed (or
            # reused) descriptor number.
            try:
                tkapp.deletefilehandler(read_fd)
            finally:
                os.close(read_fd)
                os.close(write_fd)


class SocketWake:
    """Wakes Tk through a loopback connection to a Tcl socket channel (works everywhere).

    Tcl listens on ``127.0.0.1`` on an ephemeral port and accepts one connection: ours,
    checked by its port, so another local process cannot take its place. The data sent
    before Tk accepted waits in the kernel, so no event needs pumping here. ``tk`` returns
    the interpreter (``None`` once it is gone), so the Tcl commands registered here never
    hold it. Create it on the Tk thread.
    """

    def __init__(self, tk: Callable[[], Any], on_wake: Callable[[], None]) -> None:
        tkapp = tk()
        n = next(_names)
        self._accept_cmd = f"uidispatch_tk_accept{n}"
        self._read_cmd = f"uidispatch_tk_read{n}"
        self._channel: str | None = None
        self._server = ""
        self._port = -1
        self._lock = threading.Lock()

        def accept(channel: str, _host: str, port: str) -> None:
            app = tk()
            if app is None:
                return
            if self._channel is not None or int(port) != self._port:
                app.call("close", channel)
                return
            self._channel = channel
            app.call("fconfigure", channel, "-blocking", 0, "-translation", "binary")
            app.call("fileevent", channel, "readable", self._read_cmd)
            app.call("close", self._server)
            self._server = ""

        def readable() -> None:
            app = tk()
            channel = self._channel
            if app is None or channel is None:
                return
            app.call("read", channel)
            if app.getboolean(app.call("eof", channel)):
                # Our end was closed: stop the fileevent from firing forever.
                app.call("close", channel)
                self._channel = None
            on_wake()

        self._commands = (accept, readable)  # alive while they run, even once deleted
        tkapp.createcommand(self._accept_cmd, accept)
        tkapp.createcommand(self._read_cmd, readable)
        self._server = tkapp.call("socket", "-server", self._accept_cmd, "-myaddr", "127.0.0.1", 0)
        port = int(tkapp.splitlist(tkapp.call("fconfigure", self._server, "-sockname"))[2])
        self._sock: socket.socket | None = socket.create_connection(("127.0.0.1", port), 5)
        self._sock.setblocking(False)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._port = self._sock.getsockname()[1]

    def wake(self) -> None:
        """Send one byte; a full buffer already means a wake-up is pending. Any thread."""
        with self._lock:
            if self._sock is None:
                return
            with contextlib.suppress(BlockingIOError):
                self._sock.send(b"\0")

    def close(self, tkapp: Any) -> None:
        """Close both ends and delete the Tcl commands. Tk thread only; idempotent."""
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is None:
            return
        sock.close()
        for channel in (self._channel, self._server):
            if channel:
                # Already gone when the interpreter was deleted first.
                with contextlib.suppress(Exception):
                    tkapp.call("close", channel)
        self._channel = None
        self._server = ""
        for cmd in (self._accept_cmd, self._read_cmd):
            with contextlib.suppress(Exception):
                tkapp.deletecommand(cmd)
