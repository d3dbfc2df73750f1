"""What a child process run under ``python -X dev`` printed, less the machine's speed."""

from __future__ import annotations

import re

__all__ = ["dev_mode_stderr"]

# asyncio's debug mode (on under -X dev) logs every callback slower than 100 ms: on a
# loaded machine that is any callback, so it says nothing about the code under test.
_SLOW_CALLBACK = re.compile(r"^Executing <.*> took \d+\.\d+ seconds\n?", re.MULTILINE)


def dev_mode_stderr(stderr: str) -> str:
    """``stderr`` without asyncio's slow-callback lines, for an "empty stderr" assertion.

    Everything else a ``-X dev`` child prints (ResourceWarnings, unawaited coroutines,
    "Task was destroyed but it is pending", tracebacks) stays.
    """
    return _SLOW_CALLBACK.sub("", stderr)
