"""Detection and discovery: how auto-detection finds Tk, and that the plugin stays lazy."""

from __future__ import annotations

import subprocess
import sys
import threading
import tkinter
from collections.abc import Callable

import pytest
import uidispatch_tk

import uidispatch as ud
from uidispatch.hookspecs import Detection


def test_loading_the_plugin_and_detecting_never_import_tkinter() -> None:
    code = (
        "import sys, uidispatch as ud, uidispatch_tk\n"
        "assert 'tk' in ud.backends()\n"
        "print(int(uidispatch_tk.detect()), 'tkinter' in sys.modules, uidispatch_tk.current_app())"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(int(Detection.INSTALLED)), "False", "None"]


def test_detect_scores_imported_then_app_then_running(
    make_root: Callable[[], tkinter.Tk], mainloop: Callable[..., bool]
) -> None:
    assert uidispatch_tk.current_app() is None
    assert uidispatch_tk.detect() == Detection.IMPORTED
    root = make_root()
    assert uidispatch_tk.current_app() is root
    assert uidispatch_tk.detect() == Detection.APP
    seen: dict[str, int] = {}

    def from_a_worker() -> None:
        seen["worker"] = uidispatch_tk.detect()

    def inside_mainloop() -> None:
        seen["callback"] = uidispatch_tk.detect()
        thread = threading.Thread(target=from_a_worker)
        thread.start()
        thread.join(5)

    root.after(0, inside_mainloop)
    assert mainloop(root, lambda: "worker" in seen)
    assert seen == {"callback": Detection.RUNNING, "worker": Detection.RUNNING}
    assert uidispatch_tk.detect() == Detection.APP
    root.destroy()
    assert uidispatch_tk.current_app() is None
    assert uidispatch_tk.detect() == Detection.IMPORTED


def test_detect_never_raises(monkeypatch: pytest.MonkeyPatch, root: tkinter.Tk) -> None:
    def broken() -> object:
        raise RuntimeError("no frames here")

    monkeypatch.setattr(sys, "_current_frames", broken)
    assert uidispatch_tk.detect() == Detection.NONE


def test_auto_detection_picks_tk_bound_to_the_default_root(
    root: tkinter.Tk, mainloop: Callable[..., bool]
) -> None:
    found: list[ud.Dispatcher] = []
    root.after(0, lambda: found.append(ud.get_dispatcher()))
    assert mainloop(root, lambda: found)
    d = found[0]
    assert d.backend.name == "tk"
    assert d.backend._root is root  # type: ignore[attr-defined]
    assert ud.get_dispatcher("tk", app=root) is d
    d.close()
