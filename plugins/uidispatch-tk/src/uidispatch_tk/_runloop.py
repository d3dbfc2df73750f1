"""``run_loop``: the Tk main loop an app runs, for the conformance suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["run_loop"]


def run_loop(backend: Any, until: Callable[[], object], timeout: float) -> None:
    """Run ``root.mainloop()`` until ``until()`` holds or ``timeout`` passed. Tk thread.

    ``until`` is checked every 5 ms by a Tk ``after`` timer of its own, which then calls
    ``root.quit()``; a root destroyed meanwhile ends ``mainloop()`` too.
    """
    root = backend._root
    if root is None:
        return
    deadline = time.monotonic() + timeout

    def check() -> None:
        if until() or time.monotonic() >= deadline:
            root.quit()
        else:
            root.after(5, check)

    root.after(0, check)
    root.mainloop()
