"""The plugin's registration: found through the entry point, and Kivy imported lazily."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import uidispatch as ud
from uidispatch.hookspecs import Detection


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )


def test_the_kivy_backend_is_registered_through_its_entry_point() -> None:
    info = ud.backends()["kivy"]
    assert info.loaded
    assert info.distribution == "uidispatch-kivy"
    assert info.version == "0.1.0"
    assert info.requires == ("kivy",)
    assert not info.builtin


def test_loading_the_registry_and_detecting_never_import_kivy() -> None:
    proc = run_python(
        """
        import sys
        import uidispatch as ud
        from uidispatch._core._registry import detect
        import uidispatch_kivy

        ud.backends()
        found = detect()
        score = uidispatch_kivy.detect()
        loaded = sorted(m for m in sys.modules if m == "kivy" or m.startswith("kivy."))
        print(int(score), found.scores["kivy"], loaded)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(int(Detection.INSTALLED))] * 2 + ["[]"]


def test_create_without_kivy_raises_an_import_error_that_says_what_to_install() -> None:
    proc = run_python(
        """
        import sys
        sys.modules["kivy"] = None  # as if Kivy were not installed
        import uidispatch_kivy

        print("detect", int(uidispatch_kivy.detect()), uidispatch_kivy.current_app())
        try:
            uidispatch_kivy.create(None)
        except ImportError as exc:
            print(exc)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert f"detect {int(Detection.NONE)} None" in proc.stdout
    assert "the kivy backend needs Kivy" in proc.stdout
    assert "pip install kivy" in proc.stdout
