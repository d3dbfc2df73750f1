"""Test matrix, lint, typecheck, docs, bench and demo: ``nox -l`` lists the sessions.

``nox -s ci`` (what CI and the README run) is the part of the matrix that fits well under
20 minutes on a 2-core machine: core tests on every Python, each toolkit backend on its
tested Pythons, lint and typecheck. ``nox`` alone runs the full matrix.
"""

from __future__ import annotations

import os
import shutil
import sys

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
PLUGINS = {"tk": "plugins/uidispatch-tk", "qt": "plugins/uidispatch-qt", "kivy": "plugins/uidispatch-kivy"}
TEST_DEPS = ["pytest>=8", "hypothesis>=6"]
POOL_TEST_DEPS = ["loky", "distributed"]
TOOLKIT_TEST_DEPS = {"tk": [], "qt": ["pytest-qt>=4.4"], "kivy": []}
PIP_QUIET = "-q"


def ensure_xvfb(session: nox.Session) -> None:
    """Tk and Kivy tests need an X server: install Xvfb when missing and we may."""
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
    """Core tests on the virtual and asyncio backends."""
    install_core(session, *POOL_TEST_DEPS)
    session.run("pytest", "tests", *session.posargs)


def _toolkit(session: nox.Session, name: str) -> None:
    ensure_xvfb(session)
    install_core(session, *TOOLKIT_TEST_DEPS[name])
    session.install(PIP_QUIET, "-e", PLUGINS[name])
    env = {"QT_QPA_PLATFORM": "offscreen"} if name == "qt" else {}
    session.run("pytest", f"{PLUGINS[name]}/tests", *session.posargs, env=env)


@nox.session(python=PYTHONS)
def tk(session: nox.Session) -> None:
    """The Tk backend on a real Tk under Xvfb."""
    _toolkit(session, "tk")


@nox.session(python=PYTHONS)
def qt(session: nox.Session) -> None:
    """The Qt backend on PySide6 (offscreen) with pytest-qt and qasync."""
    _toolkit(session, "qt")


@nox.session(python=PYTHONS)
def kivy(session: nox.Session) -> None:
    """The Kivy backend on Kivy's real Clock."""
    _toolkit(session, "kivy")


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install(PIP_QUIET, "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/ and every plugin's src/."""
    session.install(PIP_QUIET, "mypy", "pytest", "-e", ".", *(f"-e{p}" for p in PLUGINS.values()))
    session.run("mypy", "src", *(f"{p}/src" for p in PLUGINS.values()))


@nox.session(python="3.11")
def doctor(session: nox.Session) -> None:
    """Install everything and run ``uidispatch doctor``."""
    session.install(PIP_QUIET, "-e", ".", *(f"-e{p}" for p in PLUGINS.values()))
    session.run("python", "-m", "uidispatch", "doctor")


@nox.session(python=False)
def ci(session: nox.Session) -> None:
    """What CI runs: the matrix part that fits in 20 minutes on 2 cores."""
    for name in ("lint", "typecheck", "tests-3.10", "tests-3.11", "tests-3.12", "tests-3.13",
                 "tk-3.11", "qt-3.11", "kivy-3.11"):
        session.notify(name)
