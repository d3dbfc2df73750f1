"""A virtual X display for tests of toolkits that need one (Tk, Kivy windows)."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import time

__all__ = ["ensure_display"]

_xvfb: subprocess.Popen[bytes] | None = None


def ensure_display() -> str:
    """Return a usable ``DISPLAY``, starting ``Xvfb`` on a free display number if none is set.

    The server lives until the process exits. Needs the ``xvfb`` system package
    (``apt-get install -y xvfb``); raises ``RuntimeError`` naming it when missing.
    """
    global _xvfb
    display = os.environ.get("DISPLAY")
    if display:
        return display
    exe = shutil.which("Xvfb")
    if exe is None:
        raise RuntimeError(
            "no DISPLAY is set and Xvfb is not installed; install the 'xvfb' system "
            "package (apt-get install -y xvfb) or set DISPLAY"
        )
    read_fd, write_fd = os.pipe()
    # -displayfd lets the server pick a free display number and report it.
    proc = subprocess.Popen(
        [exe, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    deadline = time.monotonic() + 20
    data = b""
    with os.fdopen(read_fd, "rb") as pipe:
        while not data.endswith(b"\n") and time.monotonic() < deadline:
            chunk = pipe.read(1)
            if not chunk:
                break
            data += chunk
    if not data.strip():
        proc.kill()
        raise RuntimeError("Xvfb did not report a display number")
    _xvfb = proc
    atexit.register(_stop)
    display = ":" + data.decode().strip()
    os.environ["DISPLAY"] = display
    return display


def _stop() -> None:
    if _xvfb is not None and _xvfb.poll() is None:
        _xvfb.terminate()
        try:
            _xvfb.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            _xvfb.kill()
