"""Test matrix, lint, typecheck, docs, bench and demo: ``nox -l`` lists the sessions.

``nox -s ci`` (what CI and the README run) is the whole matrix plus the demo self-test
and a quick benchmark smoke run: about 22 minutes on a 2-core machine. ``nox`` alone runs
lint, typecheck, docs, the core tests and the toolkit tests. One session:
``nox -s tk-3.12``; pytest arguments go after ``--`` (``nox -s tests-3.11 -- -k throttle``).

Toolkit wheels, checked with ``pip download --no-deps --only-binary :all:
--python-version X``: Kivy 2.3.1 ships cp310-cp313 wheels, PySide6-Essentials abi3 wheels
cover 3.10+, and tkinter comes with CPython; so every toolkit runs on 3.10-3.13. The Qt
backend runs once per binding, each session installing only its own (``qt-pyqt6-3.13``:
``uidispatch-qt[pyqt6]``, ``QT_API=pyqt6``): PySide6 on 3.10-3.13 (its 6.12.0 pin is for
< 3.12), PyQt6 and PyQt5 on 3.10 and 3.13, PySide2 on 3.10 (its last wheel, 5.15.2.1, stops at
cp310; pytest-qt 4.4 is the last to drive it); ``qt-mixed`` installs two at once and
checks the choice between them.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
# Sessions reinstall our own packages (editable, cheap) every run; reusing the venvs
# keeps PySide6 (~100 MB) and Kivy (~23 MB) from being downloaded and unpacked again.
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False
nox.options.sessions = ["lint", "typecheck", "tests", "tk", "qt-pyside6", "kivy", "docs"]

ROOT = Path(__file__).parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
MAIN_PYTHON = "3.11"
PLUGINS = {
    "tk": "plugins/uidispatch-tk",
    "qt": "plugins/uidispatch-qt",
    "kivy": "plugins/uidispatch-kivy",
}
# Toolkits added with the backend kit; their sessions run on the oldest and newest Python.
KIT_PLUGINS = {
    "pygame": "plugins/uidispatch-pygame",
    "textual": "plugins/uidispatch-textual",
    "gtk": "plugins/uidispatch-gtk",
}
EDGE_PYTHONS = ["3.10", "3.13"]
# PyGObject has no Linux wheels: building it needs these (Debian/Ubuntu names).
GTK_BUILD_PACKAGES = [
    "libgirepository1.0-dev",
    "libcairo2-dev",
    "pkg-config",
    "gir1.2-gtk-3.0",
    "xvfb",
    "xauth",
]
EXAMPLE_PLUGIN = "tests/example_plugin"
TEST_DEPS = ["pytest>=8", "hypothesis>=6", "tomli>=2; python_version < '3.11'"]
POOL_TEST_DEPS = ["loky", "distributed"]
INTEROP_TEST_DEPS = ["psygnal"]  # our decorators checked against psygnal's own
AIO_TEST_DEPS = ["trio>=0.23"]  # uidispatch.aio's lib="trio" (the uidispatch[trio] extra)
# The toolkits with a wrong-thread check part run their tests with it raising: a test that
# touches a widget off the UI thread fails unless it carries the allow_wrong_thread marker.
CHECK_THREADS = {toolkit: ["--ud-check-threads=raise"] for toolkit in ("tk", "qt", "kivy", "gtk")}
PLOT_TEST_DEPS = ["matplotlib>=3.7"]  # bench --plot
# psygnal and superqt for the Qt interop tests (test_interop.py): both install on every Qt
# session's Python (superqt 0.9 needs 3.11+; pip takes 0.8.2 on 3.10).
TOOLKIT_TEST_DEPS = {
    "tk": AIO_TEST_DEPS,
    "qt": ["pytest-qt>=4.4", "psygnal", "superqt", *AIO_TEST_DEPS],
    "kivy": AIO_TEST_DEPS,
}
# Qt binding -> the Pythons its session runs on (oldest and newest, PySide6 all four).
# PySide2's last wheel (5.15.2.1, cp35-cp310 abi3) stops at 3.10; pytest-qt 4.5 dropped it.
QT_BINDINGS = {
    "pyside6": PYTHONS,
    "pyqt6": ["3.10", "3.13"],
    "pyqt5": ["3.10", "3.13"],
    "pyside2": ["3.10"],
}
QT_TEST_DEPS = {"pyside2": ["pytest-qt>=4.4,<4.5", "psygnal", "superqt", *AIO_TEST_DEPS]}
DOCS_DEPS = ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26"]
PIP_QUIET = "-q"
# Pinned so that a new release's rules cannot fail CI on unchanged code; bump on purpose.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
IMPORT_LINTER = "import-linter==2.17"


def _expose_pyenv_pythons() -> None:
    """Let nox find pyenv's 3.10-3.13 even when only one is the pyenv default.

    pyenv shims for inactive versions exist on PATH but fail when run, so nox would
    pick them and error; a directory of direct links, first on PATH, avoids that.
    """
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not versions.is_dir():
        return
    links = ROOT / ".nox" / "_pythons"
    try:
        links.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only checkout: nox still works with whatever is on PATH
        return
    for want in PYTHONS:
        found = [p for p in versions.iterdir() if re.fullmatch(rf"{re.escape(want)}\.\d+", p.name)]
        found = [p for p in found if (p / "bin" / f"python{want}").exists()]
        if not found:
            continue
        best = max(found, key=lambda p: int(p.name.rsplit(".", 1)[1]))
        link = links / f"python{want}"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(best / "bin" / f"python{want}")
    os.environ["PATH"] = os.pathsep.join([str(links), os.environ.get("PATH", "")])


_expose_pyenv_pythons()


def ensure_xvfb(session: nox.Session) -> None:
    """Tk and Kivy tests need an X server: install Xvfb when missing and we may.

    The tests start it themselves (``uidispatch.testing.ensure_display``).
    """
    if os.environ.get("DISPLAY") or shutil.which("Xvfb"):
        return
    if sys.platform.startswith("linux") and hasattr(os, "geteuid") and os.geteuid() == 0:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "xvfb", "xauth", external=True)
    else:
        session.error("no DISPLAY and no Xvfb: install the 'xvfb' system package")


def install_core(session: nox.Session, *extra: str) -> None:
    session.install(PIP_QUIET, "-e", ".", *TEST_DEPS, *extra)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Core tests on the virtual and asyncio backends, and the example third-party backend."""
    install_core(
        session,
        "-e",
        EXAMPLE_PLUGIN,
        *POOL_TEST_DEPS,
        *PLOT_TEST_DEPS,
        *INTEROP_TEST_DEPS,
        *AIO_TEST_DEPS,
    )
    session.run("pytest", "tests", *session.posargs)


COMPILED_PYTHON = "3.13"  # the newest; mypyc builds for one interpreter at a time
COMPILED_CHECK = """
import pathlib, uidispatch as ud
where = pathlib.Path(ud.__file__).resolve()
assert "site-packages" in where.parts, f"testing {where}, not the installed wheel"
assert ud.compiled, f"the compiled queue is not in use: {ud._core._compiled.reason}"
print("uidispatch from", where.parent, "-", ud._core._compiled.reason)
"""


@nox.session(name="tests-compiled", python=COMPILED_PYTHON)
def tests_compiled(session: nox.Session) -> None:
    """The core tests against the mypyc-compiled wheel (``UIDISPATCH_COMPILE=1``), not src/.

    Builds and installs the wheel (not editable: a C compiler and the Python headers are
    needed), checks that ``uidispatch.compiled`` is True, then runs ``tests/``.
    """
    session.install(
        PIP_QUIET, "--force-reinstall", "--no-deps", ".", env={"UIDISPATCH_COMPILE": "1"}
    )
    # Not "." again: without the variable it would replace the compiled build.
    session.install(
        PIP_QUIET,
        *TEST_DEPS,
        "-e",
        EXAMPLE_PLUGIN,
        *POOL_TEST_DEPS,
        *PLOT_TEST_DEPS,
        *INTEROP_TEST_DEPS,
        *AIO_TEST_DEPS,
    )
    session.run("python", "-c", COMPILED_CHECK)
    session.run("pytest", "tests", *session.posargs)


# The app-ends generator (uidispatch.testing.app_ends: every entry point against every way
# an app ends, one child process each, four at a time) runs once per toolkit: Tk, GTK,
# Textual and pygame on the newest Python, Qt with PySide6 on the oldest; elsewhere its
# cases skip, saying why.
APP_ENDS_SKIP = {"UIDISPATCH_APP_ENDS": "skip"}


def _app_ends_env(session: nox.Session, binding: str | None = None) -> dict[str, str]:
    # About a minute per session on 2 cores (~210 child processes, CPU-bound at four at a
    # time): the toolkits without a binding (Tk, GTK, Textual, pygame) take the newest
    # Python and PySide6 the oldest, so both edges are covered and each toolkit once.
    chosen = (binding is None and session.python == EDGE_PYTHONS[-1]) or (
        binding == "pyside6" and session.python == EDGE_PYTHONS[0]
    )
    return {} if chosen else APP_ENDS_SKIP


def _toolkit(session: nox.Session, name: str) -> None:
    ensure_xvfb(session)
    install_core(session, "-e", PLUGINS[name], *TOOLKIT_TEST_DEPS[name])
    env = _app_ends_env(session)
    checks = CHECK_THREADS.get(name, [])
    session.run("pytest", f"{PLUGINS[name]}/tests", *checks, *session.posargs, env=env)


def _qt(session: nox.Session, *bindings: str, tests: str = "tests") -> None:
    """Install uidispatch-qt with only these bindings (extras) and run its tests offscreen."""
    deps = QT_TEST_DEPS.get(bindings[0], TOOLKIT_TEST_DEPS["qt"])
    install_core(session, "-e", f"{PLUGINS['qt']}[{','.join(bindings)}]", *deps)
    # QT_API for qasync and our backend, PYTEST_QT_API for pytest-qt: one Qt per process.
    env = {"QT_QPA_PLATFORM": "offscreen", "QT_API": bindings[0], "PYTEST_QT_API": bindings[0]}
    env |= _app_ends_env(session, bindings[0] if len(bindings) == 1 else "mixed")
    checks = CHECK_THREADS["qt"]
    session.run("pytest", f"{PLUGINS['qt']}/{tests}", *checks, *session.posargs, env=env)


@nox.session(python=PYTHONS)
def tk(session: nox.Session) -> None:
    """The Tk backend on a real Tk under Xvfb (conformance suite included)."""
    _toolkit(session, "tk")


@nox.session(name="qt-pyside6", python=QT_BINDINGS["pyside6"])
def qt_pyside6(session: nox.Session) -> None:
    """The Qt backend on PySide6 (offscreen) with pytest-qt and qasync."""
    _qt(session, "pyside6")


@nox.session(name="qt-pyqt6", python=QT_BINDINGS["pyqt6"])
def qt_pyqt6(session: nox.Session) -> None:
    """The Qt backend on PyQt6 alone (no PySide6 installed), offscreen, with qasync."""
    _qt(session, "pyqt6")


@nox.session(name="qt-pyqt5", python=QT_BINDINGS["pyqt5"])
def qt_pyqt5(session: nox.Session) -> None:
    """The Qt backend on PyQt5 alone (no PySide6 installed), offscreen, with qasync."""
    _qt(session, "pyqt5")


@nox.session(name="qt-pyside2", python=QT_BINDINGS["pyside2"])
def qt_pyside2(session: nox.Session) -> None:
    """The Qt backend on PySide2 alone (Qt 5, CPython 3.10 only), offscreen, with qasync."""
    _qt(session, "pyside2")


@nox.session(name="qt-mixed", python=["3.13"])
def qt_mixed(session: nox.Session) -> None:
    """PySide6 and PyQt6 side by side: the app's binding wins, QT_API next, qasync agrees."""
    _qt(session, "pyside6", "pyqt6", tests="tests/test_plugin.py")


@nox.session(python=PYTHONS)
def kivy(session: nox.Session) -> None:
    """The Kivy backend on Kivy's real Clock (and a real window under Xvfb)."""
    _toolkit(session, "kivy")


@nox.session(python=EDGE_PYTHONS)
def pygame(session: nox.Session) -> None:
    """The pygame backend in a real pygame frame loop (SDL's dummy video driver)."""
    install_core(session, "-e", KIT_PLUGINS["pygame"], *AIO_TEST_DEPS)
    env = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", **_app_ends_env(session)}
    session.run("pytest", f"{KIT_PLUGINS['pygame']}/tests", *session.posargs, env=env)


@nox.session(python=EDGE_PYTHONS)
def textual(session: nox.Session) -> None:
    """The Textual backend on headless Textual apps (App.run_test)."""
    install_core(session, "-e", KIT_PLUGINS["textual"])
    env = _app_ends_env(session)
    session.run("pytest", f"{KIT_PLUGINS['textual']}/tests", *session.posargs, env=env)


def _gtk_build_deps(session: nox.Session) -> str | None:
    """Install what building PyGObject needs; the reason it cannot be done, or None."""
    have = shutil.which("pkg-config") and all(
        _run_quiet(["pkg-config", "--exists", lib])
        for lib in ("gobject-introspection-1.0", "cairo")
    )
    if have and (os.environ.get("DISPLAY") or shutil.which("Xvfb")):
        return None
    if not sys.platform.startswith("linux"):
        return f"building PyGObject is only automated on Linux here, not {sys.platform}"
    if not (hasattr(os, "geteuid") and os.geteuid() == 0) or not shutil.which("apt-get"):
        return (
            "PyGObject must be built and its build dependencies are missing; install them "
            f"(apt-get install {' '.join(GTK_BUILD_PACKAGES)}) or run as root with apt-get"
        )
    session.run("apt-get", "update", "-qq", external=True)
    session.run("apt-get", "install", "-y", "-qq", *GTK_BUILD_PACKAGES, external=True)
    return None


def _run_quiet(argv: list[str]) -> bool:
    import subprocess

    return subprocess.run(argv, capture_output=True, check=False).returncode == 0


@nox.session(python=EDGE_PYTHONS)
def gtk(session: nox.Session) -> None:
    """The GTK backend on GTK 3 under Xvfb; PyGObject is built from source first.

    Skips, saying why, where the build dependencies cannot be installed.
    """
    why = _gtk_build_deps(session)
    if why is not None:
        session.skip(f"gtk: {why}")
    # PyGObject 3.51+ builds only against libgirepository-2.0 (GLib 2.80+).
    pygobject = (
        "PyGObject"
        if _run_quiet(["pkg-config", "--exists", "girepository-2.0"])
        else ("PyGObject<3.51")
    )
    install_core(session, pygobject, "-e", KIT_PLUGINS["gtk"], *AIO_TEST_DEPS)
    checks = CHECK_THREADS["gtk"]
    env = _app_ends_env(session)
    session.run("pytest", f"{KIT_PLUGINS['gtk']}/tests", *checks, *session.posargs, env=env)


@nox.session(python=MAIN_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and format --check; lint-imports keeps the core's layers (pyproject.toml)."""
    session.install(PIP_QUIET, RUFF, IMPORT_LINTER)
    session.install(PIP_QUIET, "--no-deps", "-e", ".")  # lint-imports reads the package
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session(python=MAIN_PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/, every plugin's src/, the example plugin and the docs' recipes."""
    editable = [f"-e{p}" for p in (*PLUGINS.values(), EXAMPLE_PLUGIN)] + [
        f"-e{PLUGINS['qt']}[bench,pyside6]",  # mypy reads Qt through PySide6's stubs
        f"-e{KIT_PLUGINS['pygame']}",
        f"-e{KIT_PLUGINS['textual']}",
    ]
    session.install(PIP_QUIET, MYPY, "pytest", "-e", ".[bench,trio]", *editable)
    # Not PyGObject (it builds from source): the gtk plugin's gi imports are ignored untyped.
    session.install(PIP_QUIET, "--no-deps", "-e", KIT_PLUGINS["gtk"])
    sources = [
        "src",
        *(f"{p}/src" for p in (*PLUGINS.values(), *KIT_PLUGINS.values())),
        f"{EXAMPLE_PLUGIN}/src",
        "tests/test_timing_types.py",  # the decorators' typed cases (and calls mypy must reject)
    ]
    session.run("mypy", "--strict", *sources)
    # The docs' recipes are complete modules: they must type-check against the API too;
    # so must the typed cases of operations (and their wrong calls must not).
    session.run("pytest", "-q", "tests/test_docs_recipes.py", "tests/test_operation_types.py")


@nox.session(python=MAIN_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors (``-- serve`` to preview)."""
    session.install(PIP_QUIET, "-e", ".", *DOCS_DEPS)
    if session.posargs and session.posargs[0] == "serve":
        session.run("mkdocs", "serve", *session.posargs[1:])
    else:
        session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs)


@nox.session(python=MAIN_PYTHON)
def bench(session: nox.Session) -> None:
    """``python -m uidispatch bench`` on every backend (``-- --quick`` for a smoke run).

    ``-- --plot DIR`` also draws the charts; ``-- --json`` prints the report to keep.
    """
    ensure_xvfb(session)
    session.install(
        PIP_QUIET,
        "-e",
        ".[bench]",
        *(f"-e{p}" for p in PLUGINS.values()),
        "-e",
        f"{PLUGINS['qt']}[bench,pyside6]",
    )
    session.run("python", "-m", "uidispatch", "bench", *session.posargs)


DEMO_BACKENDS = ("tk", "qt", "kivy", "asyncio")


@nox.session(python=MAIN_PYTHON)
def demo(session: nox.Session) -> None:
    """The demo on Tk, Qt and Kivy (and asyncio, the terminal one): its tests and self-tests.

    ``nox -s demo`` opens the Tk window where a display is set; ``-- --selftest 20`` (what
    CI runs) drives each toolkit's demo by script instead: Tk and Kivy under Xvfb, Qt
    offscreen; ``-- --backend qt`` picks one toolkit.
    """
    ensure_xvfb(session)
    session.install(
        PIP_QUIET,
        "-e",
        ".",
        "-e",
        PLUGINS["tk"],
        "-e",
        f"{PLUGINS['qt']}[pyside6]",
        "-e",
        PLUGINS["kivy"],
        *TEST_DEPS,
    )
    if not session.posargs and os.environ.get("DISPLAY"):
        session.run("python", "-m", "uidispatch", "demo")
        return
    args = list(session.posargs) or ["--selftest", "20"]
    if "--selftest" in args:
        # The demo's own tests: README's first command with and without Xvfb, screenshots.
        session.run("pytest", "tests/test_demo.py", "-q")
    if "--backend" in args:
        session.run("python", "-m", "uidispatch", "demo", *args)
        return
    for backend in DEMO_BACKENDS:
        session.run("python", "-m", "uidispatch", "demo", "--backend", backend, *args)


@nox.session(python=MAIN_PYTHON)
def doctor(session: nox.Session) -> None:
    """Install everything and run ``uidispatch doctor``."""
    session.install(
        PIP_QUIET, "-e", ".", *(f"-e{p}" for p in PLUGINS.values()), f"-e{PLUGINS['qt']}[pyside6]"
    )
    session.install(PIP_QUIET, "-e", KIT_PLUGINS["pygame"], "-e", KIT_PLUGINS["textual"])
    # PyGObject builds from source (see the gtk session): installed only where it can be.
    session.install(PIP_QUIET, "--no-deps", "-e", KIT_PLUGINS["gtk"])
    session.run("python", "-m", "uidispatch", "doctor")


# What the `package` session runs against the installed wheels, one pytest run per directory
# (the plugins' test modules share basenames with each other).
PACKAGE_SMOKE = {
    ".": ["tests/test_exports.py", "tests/test_versions.py", "tests/test_dispatcher.py"],
    **{path: [f"{path}/tests/test_conformance.py"] for path in PLUGINS.values()},
    **{
        KIT_PLUGINS[name]: [f"{KIT_PLUGINS[name]}/tests/test_conformance.py"]
        for name in ("pygame", "textual")
    },
}
PACKAGE_CHECK = """
import sys, pathlib, uidispatch as ud
from trove_classifiers import classifiers as known
from importlib.metadata import distribution
root = pathlib.Path(sys.argv[1]).resolve()
where = pathlib.Path(ud.__file__).resolve()
assert "site-packages" in where.parts and root / "src" not in where.parents, where
for name in sys.argv[2:]:
    meta = distribution(name).metadata
    bad = [c for c in meta.get_all("Classifier") or [] if c not in known]
    assert not bad, f"{name}: unknown classifiers {bad}"
    assert meta.get_all("Project-URL"), f"{name}: no project URLs"
info = ud.backends()
broken = {n: i.error for n, i in info.items() if not i.loaded}
assert not broken, f"backends that failed to load: {broken}"
print("installed from", where.parent, "backends:", ", ".join(sorted(info)))
"""


@nox.session(python=MAIN_PYTHON)
def package(session: nox.Session) -> None:
    """Build, check and install the sdists and wheels; test what users install, not src/.

    Builds the core and every plugin with ``python -m build``, runs ``twine check
    --strict``, installs the wheels (not editable) into a fresh virtual environment outside
    the checkout and there runs ``doctor``, the demo self-test and a smoke subset of the
    tests against the installed packages; then installs the compiled core wheel
    (``UIDISPATCH_COMPILE=1``, the release's default where a platform wheel exists) over the
    pure one and runs ``doctor`` and the core's smoke tests on it.
    """
    ensure_xvfb(session)
    session.install(PIP_QUIET, "build", "twine")
    tmp = Path(session.create_tmp()).resolve()
    dist = tmp / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    projects = (".", *PLUGINS.values(), *KIT_PLUGINS.values())
    for project in projects:
        session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT / project))
    built = sorted(dist.iterdir())
    session.run("twine", "check", "--strict", *map(str, built))
    sdists = [p for p in built if p.name.endswith(".tar.gz")]
    wheels = [p for p in built if p.suffix == ".whl"]
    if len(sdists) != len(wheels) or len(wheels) != len(projects):
        session.error(f"expected a wheel and an sdist per package, built {[p.name for p in built]}")

    venv = tmp / "installed"
    shutil.rmtree(venv, ignore_errors=True)
    session.run("python", "-m", "venv", str(venv))
    python = str(venv / "bin" / "python")
    session.run(python, "-m", "pip", "install", PIP_QUIET, "--upgrade", "pip", external=True)
    # uidispatch-qt depends on no Qt binding: install it as a PySide6 app would.
    # uidispatch-gtk's PyGObject builds from source (the gtk session covers it): its wheel is
    # installed without dependencies, so its entry point and metadata are still checked.
    specs = [f"{w}[pyside6]" if w.name.startswith("uidispatch_qt-") else str(w) for w in wheels]
    gtk = [s for s in specs if Path(s).name.startswith("uidispatch_gtk-")]
    specs = [s for s in specs if s not in gtk]
    session.run(
        python, "-m", "pip", "install", PIP_QUIET, *specs, *TEST_DEPS,
        *TOOLKIT_TEST_DEPS["qt"], "trove-classifiers", external=True,
    )  # fmt: skip
    session.run(python, "-m", "pip", "install", PIP_QUIET, "--no-deps", *gtk, external=True)
    session.chdir(tmp)  # nothing from the checkout is importable from here
    env = {
        "QT_QPA_PLATFORM": "offscreen",
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
        "PYTHONPATH": "",
    }
    distributions = ["uidispatch", *(Path(p).name for p in projects[1:])]
    session.run(python, "-c", PACKAGE_CHECK, str(ROOT), *distributions, env=env, external=True)
    session.run(python, "-m", "uidispatch", "doctor", env=env, external=True)
    session.run(python, "-m", "uidispatch", "demo", "--selftest", "30", env=env, external=True)
    for project, tests in PACKAGE_SMOKE.items():
        session.run(
            python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "--rootdir", str(ROOT / project), *(str(ROOT / t) for t in tests),
            env=env, external=True,
        )  # fmt: skip
    # The release's other core wheel: compiled for this interpreter (cibuildwheel builds the
    # rest with the same variable), installed over the pure one and tested the same way.
    compiled = tmp / "compiled"
    shutil.rmtree(compiled, ignore_errors=True)
    session.run(
        "python", "-m", "build", "--wheel", "--outdir", str(compiled), str(ROOT),
        env={"UIDISPATCH_COMPILE": "1"},
    )  # fmt: skip
    (wheel,) = compiled.glob("uidispatch-*.whl")
    if wheel.name.endswith("-none-any.whl"):
        session.error(f"UIDISPATCH_COMPILE=1 built a pure wheel: {wheel.name}")
    session.run(
        python, "-m", "pip", "install", PIP_QUIET, "--force-reinstall", "--no-deps", str(wheel),
        external=True,
    )  # fmt: skip
    session.run(python, "-c", COMPILED_CHECK, env=env, external=True)
    session.run(python, "-m", "uidispatch", "doctor", env=env, external=True)
    session.run(
        python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
        *(str(ROOT / t) for t in (*PACKAGE_SMOKE["."], "tests/test_queue.py")),
        env=env, external=True,
    )  # fmt: skip


# Measured with `bash .ci/run` on a clean clone, 2 cores, warm pip cache: 21 min 36 s in all
# (typecheck 50 s, tests 1.5-2 min per Python, tk/kivy/qt sessions 12-60 s each, gtk,
# textual and pygame 12-60 s, package, demo and bench --quick about a minute each), so CI
# runs the whole matrix; new toolkit and binding sessions only on the oldest and newest
# Python. Only the full benchmark (several minutes per backend) is left to `nox -s bench`.
CI_SESSIONS = [
    "lint",
    "typecheck",
    "docs",
    *(f"tests-{v}" for v in PYTHONS),
    "tests-compiled",  # the same core tests on the mypyc build (about 2 minutes)
    *(f"{toolkit}-{v}" for toolkit in PLUGINS if toolkit != "qt" for v in PYTHONS),
    *(f"qt-{binding}-{v}" for binding, versions in QT_BINDINGS.items() for v in versions),
    "qt-mixed-3.13",
    *(f"{toolkit}-{v}" for toolkit in KIT_PLUGINS for v in EDGE_PYTHONS),
    "package",
]


@nox.session(python=False)
def ci(session: nox.Session) -> None:
    """What CI runs: every session, with the benchmark as a quick smoke run."""
    for name in CI_SESSIONS:
        session.notify(name)
    # Never the interactive demo, even where a display is set.
    session.notify("demo", posargs=["--selftest", "20"])
    session.notify("bench", posargs=["--quick"])
