"""``uidispatch demo``: a small real app showing the library at work (Tk by default).

Background tasks with live progress and cancel buttons (``ud.Pool``, ``report_progress``,
``cancel``), a search box debounced against a slow search, a flood of 100,000 calls while
an animation keeps moving, live dispatch stats and a stall indicator fed by
``watch_stalls``.
"""

from __future__ import annotations

import sys

__all__ = ["run_demo"]

DEMOS = ("tk",)


def run_demo(
    backend: str = "tk", *, selftest: float | None = None, screenshot: str | None = None
) -> int:
    """Run the demo window until it is closed; return the exit status. Main thread.

    With ``selftest`` the demo drives itself, checks what happened and closes within about
    that many seconds (starting Xvfb when no display is set); ``screenshot`` then saves the
    window as a PNG. Returns 2 for a toolkit without a demo, 1 when the backend or a
    display is missing or a self-test check failed.
    """
    import uidispatch as ud

    if backend not in DEMOS:
        print(
            f"demo: no demo for backend {backend!r}; demos exist for: {', '.join(DEMOS)}",
            file=sys.stderr,
        )
        return 2
    info = ud.backends().get(backend)
    if info is None or not info.loaded:
        why = f" ({info.error})" if info is not None and info.error else ""
        print(
            f"demo: the {backend} backend is not installed{why}; pip install uidispatch-{backend}",
            file=sys.stderr,
        )
        return 1
    import os
    import shutil

    if selftest is None and not os.environ.get("DISPLAY") and shutil.which("Xvfb"):
        # A headless machine (a server, CI): show what the demo does instead of failing.
        print(
            "demo: no display here; running the scripted self-test under Xvfb instead "
            "(set DISPLAY to open the window)",
            file=sys.stderr,
        )
        selftest = 30.0
    if selftest is not None:
        from ..testing._display import ensure_display

        ensure_display()
    import tkinter

    try:
        root = tkinter.Tk(className="uidispatch-demo")
    except tkinter.TclError as exc:
        print(
            f"demo: cannot open a window ({exc}); set DISPLAY, or run "
            "'python -m uidispatch demo --selftest 20' to try it under Xvfb",
            file=sys.stderr,
        )
        return 1
    from ._tk import TkDemo

    d = ud.get_dispatcher(backend, app=root)
    ud.use(d)  # ud.submit / ud.debounce without dispatcher= resolve to this window's
    try:
        app = TkDemo(root, d)
        test = None
        if selftest is not None:
            from ._selftest import SelfTest

            test = SelfTest(app, selftest, screenshot)
            test.start()
        root.mainloop()
        app.close()
        return test.status if test is not None else 0
    finally:
        ud.use(None)
