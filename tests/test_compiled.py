"""uidispatch.compiled: which build of the queue runs, and the fallback to the source.

The whole suite runs on both builds (``nox -s tests-compiled`` installs the mypyc wheel);
these tests pin how the choice is made and reported.
"""

from __future__ import annotations

import importlib.machinery
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import uidispatch as ud
from uidispatch._core import _compiled, _queue
from uidispatch._tools._doctor import run_doctor

# Posts through a real dispatcher and drains it: the chosen queue works end to end.
PROBE = """
import uidispatch as ud, uidispatch._core._queue as q
d = ud.get_dispatcher("virtual")
out = []
d.call_soon(out.append, 1)
d.call_soon(out.append, 2, key="k")
d.call_soon(out.append, 3, key="k")
d._q.drain(budget=1.0)
print(ud.compiled, q.__file__.endswith(".py"), out, ud._core._compiled.reason, sep="|")
"""


def _probe(env_extra: dict[str, str], pythonpath: Path | None = None) -> tuple[list[str], str]:
    env = {k: v for k, v in os.environ.items() if k != _compiled.ENV_PURE}
    env.update(env_extra)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run(
        [sys.executable, "-W", "always::RuntimeWarning", "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().split("|"), done.stderr


def test_compiled_is_true_exactly_when_the_queue_is_an_extension_module() -> None:
    assert type(ud.compiled) is bool
    extension = isinstance(_queue.__loader__, importlib.machinery.ExtensionFileLoader)
    assert ud.compiled is extension
    assert ud.compiled is not (_queue.__file__ or "").endswith(".py")
    assert _compiled.reason.startswith("compiled (mypyc)" if ud.compiled else "interpreted")


def test_the_env_variable_forces_the_interpreted_queue() -> None:
    fields, _ = _probe({_compiled.ENV_PURE: "1"})
    assert fields == ["False", "True", "[1, 3]", "interpreted (UIDISPATCH_PURE_PYTHON is set)"]


def test_the_env_variable_set_to_zero_changes_nothing() -> None:
    fields, _ = _probe({_compiled.ENV_PURE: "0"})
    assert fields[:3] == [str(ud.compiled), str(not ud.compiled), "[1, 3]"]


def test_a_broken_extension_falls_back_to_the_source_with_a_warning(tmp_path: Path) -> None:
    # A copy of the installed package whose extension cannot load (as after a botched
    # install or a missing mypyc runtime library): the source runs, and the user is told.
    package = Path(ud.__file__).parent
    copy = tmp_path / "uidispatch"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (copy / "_core" / f"_queue{suffix}").write_bytes(b"not a shared library")
    fields, stderr = _probe({}, pythonpath=tmp_path)
    assert fields[:3] == ["False", "True", "[1, 3]"]
    assert fields[3].startswith("interpreted (the compiled extension failed to load: _queue:")
    assert "RuntimeWarning: uidispatch: the compiled extension failed to load" in stderr


def test_doctor_prints_which_build_runs() -> None:
    out = io.StringIO()
    run_doctor(out)
    text = out.getvalue()
    assert f"uidispatch.compiled = {ud.compiled}: {_compiled.reason}\n" in text
    # ...and how to get the other one.
    other = "UIDISPATCH_PURE_PYTHON=1" if ud.compiled else "UIDISPATCH_COMPILE=1 pip install ."
    assert other in text.split("Installed backends:")[0]
