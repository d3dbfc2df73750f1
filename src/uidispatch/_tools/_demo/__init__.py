"""``uidispatch demo``: a small real app showing the library at work, on Tk, Qt or Kivy.

Background tasks with live progress and cancel buttons (``ud.Pool``, ``report_progress``,
``cancel``), a search box debounced against a slow search, a flood of 100,000 calls while
an animation keeps moving, live dispatch stats, a stall indicator fed by
``watch_stalls``, and ``uidispatch.aio`` coroutines on the UI thread (a socket echo against
a local server, a countdown: ``_async``). One toolkit-neutral model (``_model``) and one
thin view per toolkit (``_tk``, ``_qt``, ``_kivy``, and ``_text`` for a machine without
any display).
"""

from __future__ import annotations

import os
import shutil
import sys

__all__ = ["DEMOS", "run_demo"]

DEMOS = ("tk", "qt", "kivy", "asyncio")
"""Backends with a demo; ``asyncio`` is the headless one, printing to the terminal."""

SEE_THE_WINDOW = (
    "To see the real window: run 'python -m uidispatch demo' on a desktop "
    "(--backend tk, qt or kivy), or install Xvfb (apt-get install -y xvfb) and run "
    "'python -m uidispatch demo --selftest 20 --screenshot demo.png' to check it and "
    "picture it here."
)


def _headless() -> bool:
    return not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")


def run_demo(
    backend: str = "tk", *, selftest: float | None = None, screenshot: str | None = None
) -> int:
    """Run the demo window until it is closed; return the exit status. Main thread.

    With ``selftest`` the demo drives itself, checks what happened and closes within about
    that many seconds (Tk and Kivy start Xvfb when no display is set, Qt renders
    offscreen); ``screenshot`` then saves the window as a PNG. Without a display the
    self-test runs by itself: under Xvfb when it is installed, else on the ``asyncio``
    backend in the terminal. Returns 2 for a toolkit without a demo, 1 when the backend or
    a display is missing or a self-test check failed.
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
    if backend == "asyncio":
        from ._text import run_text

        return run_text(selftest or 30.0)
    if selftest is None and _headless():
        if backend != "qt" and shutil.which("Xvfb") is None:
            # A fresh server: no display, no Xvfb. Show the library at work anyway.
            print(
                "demo: no display and no Xvfb here; running the scripted self-test on the "
                "asyncio backend instead",
                file=sys.stderr,
            )
            from ._text import run_text

            status = run_text(30.0)
            print(SEE_THE_WINDOW)
            return status
        where = "offscreen" if backend == "qt" else "under Xvfb"
        print(
            f"demo: no display here; running the scripted self-test {where} instead "
            "(set DISPLAY to open the window)",
            file=sys.stderr,
        )
        selftest = 30.0
    if backend == "qt":
        from ._qt import run_qt

        return run_qt(selftest, screenshot)
    if selftest is not None or backend == "kivy":
        from ...testing._display import ensure_display

        if selftest is not None and _headless():
            try:
                ensure_display()
            except RuntimeError as exc:
                print(f"demo: {exc}; or try 'python -m uidispatch demo'", file=sys.stderr)
                return 1
    if backend == "kivy":
        from ._kivy import run_kivy

        return run_kivy(selftest, screenshot)
    return _run_tk(selftest, screenshot)


def _run_tk(selftest: float | None, screenshot: str | None) -> int:
    import tkinter

    import uidispatch as ud

    try:
        root = tkinter.Tk(className="uidispatch-demo")
    except tkinter.TclError as exc:
        print(
            f"demo: cannot open a window ({exc}); set DISPLAY, or run "
            "'python -m uidispatch demo --selftest 20' to try it under Xvfb",
            file=sys.stderr,
        )
        return 1
    from ._tk import TkView

    d = ud.get_dispatcher("tk", app=root)
    ud.use(d)  # ud.submit / ud.debounce without dispatcher= resolve to this window's
    try:
        view = TkView(root, d)
        test = None
        if selftest is not None:
            from ._selftest import SelfTest

            test = SelfTest(view.model, selftest, screenshot, on_finished=root.destroy)
            test.start()
        root.mainloop()
        view.model.close()
        return test.interrupted() if test is not None else 0
    finally:
        ud.use(None)
