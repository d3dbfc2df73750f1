"""A running command's pipes: read them line by line until EOF, stop its process group.

The worker side of :func:`~uidispatch.run_command` (``_subprocess``): on POSIX one
``select`` loop over both pipes, the process's exit (a pidfd) and the stop hook's wake
pipe; on Windows, where pipes cannot be selected, a reader thread per pipe.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import queue
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._core._options import thread_wait

if TYPE_CHECKING:
    from ._task import Task

__all__ = ["POSIX", "Command", "communicate", "signal_tree"]

POSIX = os.name == "posix"
# The longest single select() of the output loop; it looks at its deadline again after.
_SELECT_MAX = 3600.0
_STOP_GRACE = 1.0  # after SIGKILL, how long to wait for the pipes to close before giving up


@dataclass(frozen=True)
class Command:
    """What to run and how: the checked options of one :func:`run_command` call."""

    args: tuple[str, ...]
    cwd: str | None
    env: dict[str, str] | None
    merge_stderr: bool
    check: bool
    encoding: str
    errors: str
    kill_after: float


class _Lines:
    """Incremental decoding and line splitting of one stream."""

    def __init__(self, stream: str, command: Command, texts: list[str], emit: Any) -> None:
        self.stream = stream
        self._decoder = codecs.getincrementaldecoder(command.encoding)(command.errors)
        self._texts = texts
        self._emit = emit
        self._partial = ""

    def feed(self, data: bytes, final: bool = False) -> None:
        text = self._decoder.decode(data, final)
        if text:
            self._texts.append(text)
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._emit(line.rstrip("\r"), self.stream)
        if final and self._partial:
            self._emit(self._partial.rstrip("\r"), self.stream)
            self._partial = ""


def communicate(
    proc: subprocess.Popen[bytes],
    command: Command,
    task: Task[Any] | None,
    texts: dict[str, list[str]],
    emit: Any,
) -> bool:
    """Read both pipes until EOF and the process has exited; True when it was stopped.

    ``texts`` gets each stream's decoded text, ``emit(line, stream)`` each line; the
    task's stop hook (cancel, timeout) signals the group, ``SIGKILL`` after ``kill_after``.
    """
    if POSIX:
        return _communicate_posix(proc, command, task, texts, emit)
    return _communicate_threads(proc, command, task, texts, emit)  # pragma: no cover


def _communicate_posix(
    proc: subprocess.Popen[bytes],
    command: Command,
    task: Task[Any] | None,
    texts: dict[str, list[str]],
    emit: Any,
) -> bool:
    wake = _WakePipe()
    loop = _SelectLoop(proc, command)
    try:
        loop.watch(texts, emit, wake.fd)
        if task is not None:
            task._add_stop_hook(wake)
        return loop.run()
    finally:
        wake.disarm()
        loop.close()
        wake.close()


class _WakePipe:
    """A self-pipe the stop hook writes to (any thread) to wake the select loop."""

    def __init__(self) -> None:
        self.fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._lock = threading.Lock()
        self._open = True

    def __call__(self) -> None:  # the stop hook: any thread
        with self._lock:
            if self._open:
                with contextlib.suppress(BlockingIOError):  # already woken
                    os.write(self._write_fd, b"\0")

    def disarm(self) -> None:
        """A stop hook that runs from now on writes nothing: the pipe is about to close."""
        with self._lock:
            self._open = False

    def close(self) -> None:
        os.close(self.fd)
        os.close(self._write_fd)


class _SelectLoop:
    """The POSIX output loop: pipes, exit and stop requests in one ``select``."""

    def __init__(self, proc: subprocess.Popen[bytes], command: Command) -> None:
        self._proc = proc
        self._command = command
        self._sel = selectors.DefaultSelector()
        self._streams: dict[int, _Lines] = {}
        self._wake_fd = -1
        self._pidfd = -1
        self._stopped = self._exited = self._killed = False
        self._deadline: float | None = None  # when to SIGKILL, or (once killed) to stop reading

    def watch(self, texts: dict[str, list[str]], emit: Any, wake_fd: int) -> None:
        """Register the command's pipes, the wake pipe and, where the kernel has one, a pidfd."""
        sel = self._sel
        for stream, pipe in (("stdout", self._proc.stdout), ("stderr", self._proc.stderr)):
            if pipe is not None:
                self._streams[pipe.fileno()] = _Lines(stream, self._command, texts[stream], emit)
                sel.register(pipe.fileno(), selectors.EVENT_READ)
        self._wake_fd = wake_fd
        sel.register(wake_fd, selectors.EVENT_READ)
        if hasattr(os, "pidfd_open"):
            try:
                self._pidfd = os.pidfd_open(self._proc.pid)
                sel.register(self._pidfd, selectors.EVENT_READ)
            except OSError:  # pragma: no cover - old kernel
                self._pidfd = -1

    def run(self) -> bool:
        """Loop until both pipes hit EOF and the process exited; True when it was stopped."""
        while self._streams or not self._exited:
            for key, _ in self._sel.select(self._timeout()):
                self._ready(key.fd)
            if not self._exited and self._pidfd < 0 and self._proc.poll() is not None:
                self._exited = True
            if self._exited and self._streams and self._deadline is None:
                # The command is gone but something it started still holds its pipes.
                self._terminate()
            if self._deadline is not None and time.monotonic() >= self._deadline:
                if self._killed:
                    break  # a process outside the group holds the pipes: stop reading
                self._killed = True
                signal_tree(self._proc, signal.SIGKILL)
                self._deadline = time.monotonic() + _STOP_GRACE
        return self._stopped

    def _timeout(self) -> float | None:
        deadline = self._deadline
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        if self._pidfd < 0 and not self._exited:
            return 0.05 if timeout is None else min(timeout, 0.05)
        if timeout is not None:
            # epoll_wait takes an int of milliseconds (about 24.8 days at most): a huge
            # kill_after= raised OverflowError here. The loop re-checks the deadline.
            return min(timeout, _SELECT_MAX)
        return timeout

    def _ready(self, fd: int) -> None:
        if fd == self._wake_fd:
            os.read(fd, 64)
            if not self._stopped:
                self._stopped = True
                self._terminate()
        elif fd == self._pidfd:
            self._sel.unregister(fd)
            self._exited = True
        else:
            data = os.read(fd, 65536)
            if data:
                self._streams[fd].feed(data)
            else:
                self._sel.unregister(fd)
                self._streams.pop(fd).feed(b"", final=True)

    def _terminate(self) -> None:
        signal_tree(self._proc, signal.SIGTERM)
        self._deadline = time.monotonic() + self._command.kill_after

    def close(self) -> None:
        self._sel.close()
        if self._pidfd >= 0:
            os.close(self._pidfd)


def _communicate_threads(  # pragma: no cover - Windows: pipes cannot be selected there
    proc: subprocess.Popen[bytes],
    command: Command,
    task: Task[Any] | None,
    texts: dict[str, list[str]],
    emit: Any,
) -> bool:
    events: queue.SimpleQueue[tuple[str, bytes | None]] = queue.SimpleQueue()

    def reader(stream: str, pipe: Any) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            events.put((stream, chunk))
        events.put((stream, None))

    readers = {}
    for stream, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        if pipe is not None:
            readers[stream] = _Lines(stream, command, texts[stream], emit)
            threading.Thread(target=reader, args=(stream, pipe), daemon=True).start()
    if task is not None:
        task._add_stop_hook(lambda: events.put(("", None)))
    stopped = False
    deadline: float | None = None
    while readers:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            stream, chunk = events.get(timeout=thread_wait(timeout))
        except queue.Empty:
            signal_tree(proc, signal.SIGKILL)
            break
        if not stream:
            stopped = True
            signal_tree(proc, signal.SIGTERM)
            deadline = time.monotonic() + command.kill_after
        elif chunk is None:
            readers.pop(stream).feed(b"", final=True)
        else:
            readers[stream].feed(chunk)
    return stopped


def signal_tree(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Signal the command's whole process group (POSIX); on Windows, its tree."""
    if POSIX:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)  # pgid == pid: it leads its own session
    elif sig == signal.SIGTERM:  # pragma: no cover - Windows
        proc.terminate()
    else:  # pragma: no cover - Windows
        subprocess.run(
            ["taskkill", "/T", "/F", "/PID", str(proc.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
