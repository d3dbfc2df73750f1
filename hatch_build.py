"""Wheel build hook: ``UIDISPATCH_COMPILE=1`` compiles the queue with mypyc.

Without the variable (the default, and every editable install) the wheel is pure Python and
the build needs no compiler. With it, the build environment also gets mypy (whose mypyc
compiles) and setuptools (which drives the C compiler); the modules in ``COMPILED`` are
compiled in a scratch copy of the package and the extensions are added to the wheel next to
their ``.py`` sources, which stay as the fallback (``uidispatch/_core/_compiled.py`` picks one at
import). The wheel is then tagged for this interpreter and platform.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ENV_COMPILE = "UIDISPATCH_COMPILE"
# Must match uidispatch._core._compiled.COMPILED_MODULES.
COMPILED = ("uidispatch/_core/_queue.py",)
# The mypy whose mypyc compiles; the same pin lints and type-checks (noxfile.MYPY).
BUILD_DEPENDENCIES = ["mypy==2.4.1", "setuptools>=70"]


def compile_requested() -> bool:
    """True when the environment asks for the compiled build."""
    return os.environ.get(ENV_COMPILE, "").strip() not in ("", "0")


class CompileHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds mypyc extensions to the wheel when ``UIDISPATCH_COMPILE=1``."""

    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        """Build requirements: mypy and setuptools, only for a compiled build."""
        return list(BUILD_DEPENDENCIES) if compile_requested() else []

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile and add the extensions (wheel builds with the variable set)."""
        self._scratch: str | None = None
        if self.target_name != "wheel" or not compile_requested():
            return
        if version == "editable":
            self.app.display_warning(
                f"{ENV_COMPILE} is set but an editable install runs the sources: "
                "building it pure Python (install without -e for the compiled build)"
            )
            return
        self._scratch = tempfile.mkdtemp(prefix="uidispatch-mypyc-")
        scratch = Path(self._scratch)
        package = Path(self.root) / "src" / "uidispatch"
        # mypyc type-checks what the modules import: it gets the whole package, outside
        # the checkout so no build product lands in src/.
        shutil.copytree(package, scratch / "uidispatch", ignore=shutil.ignore_patterns("*.so"))
        self.app.display_info(f"compiling with mypyc: {', '.join(COMPILED)}")
        result = subprocess.run(
            [sys.executable, "-m", "mypyc", *COMPILED],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(
                f"mypyc failed (exit {result.returncode}); unset {ENV_COMPILE} for the pure "
                f"Python build\n{result.stdout}{result.stderr}"
            )
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        # The extensions (one per module) and mypyc's runtime library beside them.
        built = [
            path
            for path in scratch.rglob(f"*{suffix}")
            if "build" not in path.relative_to(scratch).parts
        ]
        expected = {Path(module).with_suffix(suffix).as_posix() for module in COMPILED}
        found = {path.relative_to(scratch).as_posix() for path in built}
        if not expected <= found:
            raise RuntimeError(f"mypyc built {sorted(found)}, not {sorted(expected)}")
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(scratch).as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the scratch copy once the wheel holds the extensions."""
        if getattr(self, "_scratch", None):
            shutil.rmtree(self._scratch, ignore_errors=True)  # type: ignore[arg-type]
