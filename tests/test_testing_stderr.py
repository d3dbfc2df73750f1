"""``dev_mode_stderr`` drops only asyncio's slow-callback lines from a ``-X dev`` child's stderr."""

from __future__ import annotations

import subprocess
import sys

from uidispatch.testing import dev_mode_stderr

SLOW = "Executing <Handle Host._step() at /x/_aio_host.py:80> took 0.103 seconds\n"


def test_slow_callback_lines_go_and_everything_else_stays() -> None:
    kept = "sys:1: ResourceWarning: unclosed <socket.socket fd=3>\n"
    assert dev_mode_stderr(SLOW + kept + SLOW) == kept
    assert dev_mode_stderr("") == ""
    assert dev_mode_stderr("Executing the plan took 3 seconds\n") != ""


def test_a_real_dev_mode_child_slow_callback_is_dropped_and_a_warning_kept() -> None:
    child = (
        "import asyncio, time, warnings\n"
        "async def main():\n"
        "    time.sleep(0.15)\n"  # a callback slower than asyncio's 100 ms debug threshold
        "    warnings.warn('kept', ResourceWarning)\n"
        "asyncio.run(main())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", child], capture_output=True, text=True, timeout=60
    )
    assert "Executing <" in proc.stderr
    rest = dev_mode_stderr(proc.stderr)
    assert "Executing <" not in rest
    assert "ResourceWarning: kept" in rest
