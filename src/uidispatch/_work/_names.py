"""Readable names for tasks and operations: what ``pool.report()``, stats and logs show.

A function is named by its qualified name (``Window.refresh``). A lambda's qualified name
(``main.<locals>.<lambda>``) says neither which lambda nor where, and every lambda of a
function shares it, so their operation statistics would merge: a lambda is named by where
it is written instead, ``<lambda> at BASENAME.py:LINE``.
"""

from __future__ import annotations

import os

__all__ = ["task_name"]


def task_name(fn: object) -> str:
    """The name a task or operation of ``fn`` goes by when it is given none."""
    name = getattr(fn, "__qualname__", None)
    if not isinstance(name, str):
        return type(fn).__name__
    if name.endswith("<lambda>"):
        code = getattr(fn, "__code__", None)
        if code is not None:
            return f"<lambda> at {os.path.basename(code.co_filename)}:{code.co_firstlineno}"
    return name
