"""The uidispatch pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:

- ``dispatcher``: a :class:`uidispatch.Dispatcher` on each installed backend in turn, its
  toolkit set up for the test (Tk under Xvfb with a root, Qt offscreen through
  pytest-qt's ``qapp``, Kivy's Clock, a fresh asyncio loop, virtual time); the process
  default (``ud.use``) for the test's duration.
- ``uidispatch_backend``: the backend name ``dispatcher`` runs on in this test.
- ``virtual_dispatcher``: a fresh dispatcher on the ``virtual`` backend.

Both dispatcher fixtures fail a test whose callbacks raised unless the test claimed the
errors (``d.error_handler.take()``) or installed its own handler: exceptions always
reach a human.

Backends whose toolkit is not installed, or whose plugin failed to load, stay in the
parametrisation as skipped cases naming the reason, and the report header lists them:
a gap is declared, never silent. ``--uidispatch-backends=tk,virtual`` (or the
``UIDISPATCH_TEST_BACKENDS`` variable) narrows the run; the ``uidispatch_backends(*names)``
marker, or a conformance class's ``backend`` attribute, picks backends per test.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field

import pytest

import uidispatch as ud

from ._apps import BUILTIN_APPS, open_test_app
from ._errors import ErrorCollector

ENV_BACKENDS = "UIDISPATCH_TEST_BACKENDS"
MARKER = "uidispatch_backends"

# The wrong-thread checker's option, fixture and marker (--ud-check-threads).
pytest_plugins = ["uidispatch.testing._threadcheck"]

_survey_key = pytest.StashKey["_Survey"]()


@dataclass
class _Survey:
    """Which installed backends the ``dispatcher`` fixture can run on, and why not the rest."""

    available: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    selected: set[str] | None = None


def _take_survey(config: pytest.Config) -> _Survey:
    survey = config.stash.get(_survey_key, None)
    if survey is not None:
        return survey
    survey = _Survey()
    # A plugin that fails to load warns; here the failure is declared in the report
    # instead, so a broken third-party plugin cannot turn collection into an error.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            infos = ud.backends()
    except Exception as exc:  # a broken registry must not break every pytest run
        survey.missing["*"] = f"discovery failed: {type(exc).__name__}: {exc}"
        infos = {}
    for name, info in infos.items():
        if not info.loaded:
            survey.missing[name] = f"its plugin failed to load: {info.error}"
            continue
        absent = [m for m in info.requires if not _importable(m)]
        if absent:
            survey.missing[name] = f"needs {', '.join(absent)}, which is not installed"
        else:
            survey.available.append(name)
    chosen = config.getoption("uidispatch_backends") or os.environ.get(ENV_BACKENDS, "")
    if chosen.strip():
        survey.selected = {n.strip() for n in chosen.split(",") if n.strip()}
    config.stash[_survey_key] = survey
    return survey


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False


# --------------------------------------------------------------------------- hooks


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add ``pytest_uidispatch_test_app``, the hook a backend's test setup plugs into."""
    from . import _hooks

    pluginmanager.add_hookspecs(_hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--uidispatch-backends``."""
    group = parser.getgroup("uidispatch")
    group.addoption(
        "--uidispatch-backends",
        dest="uidispatch_backends",
        default=None,
        metavar="NAMES",
        help=(
            "comma-separated backends the `dispatcher` fixture runs on (default: every "
            f"installed backend; also ${ENV_BACKENDS})"
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``uidispatch_backends`` marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names): run this test's `dispatcher` fixture on these backends only",
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which backends the ``dispatcher`` fixture covers here, and which it cannot."""
    survey = _take_survey(config)
    line = "uidispatch backends: " + (", ".join(survey.available) or "none")
    if survey.selected is not None:
        line += f" (selected: {', '.join(sorted(survey.selected))})"
    lines = [line]
    for name, why in sorted(survey.missing.items()):
        lines.append(f"uidispatch backend {name!r} not tested here: {why}")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``uidispatch_backend`` (and so ``dispatcher``) over the backends."""
    if "uidispatch_backend" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [a.strip() for a in argnames.split(",")]
        if "uidispatch_backend" in argnames:
            return  # the test chose its own backends
    survey = _take_survey(metafunc.config)
    requested = _requested(metafunc)
    names = requested if requested is not None else survey.available + sorted(survey.missing)
    params = []
    for name in names:
        if survey.selected is not None and name not in survey.selected:
            continue
        reason = survey.missing.get(name)
        if reason is None and name not in survey.available:
            installed = ", ".join(survey.available) or "none"
            reason = f"not installed (installed: {installed})"
        marks = (
            [pytest.mark.skip(reason=f"uidispatch backend {name!r}: {reason}")] if reason else []
        )
        params.append(pytest.param(name, id=name, marks=marks))
    metafunc.parametrize("uidispatch_backend", params)


def _requested(metafunc: pytest.Metafunc) -> list[str] | None:
    mark = metafunc.definition.get_closest_marker(MARKER)
    if mark is not None:
        return [str(n) for n in mark.args]
    backend = getattr(metafunc.cls, "backend", None) if metafunc.cls is not None else None
    if isinstance(backend, str):
        from .conformance import BackendConformance

        if issubclass(metafunc.cls, BackendConformance):
            return [backend]
    return None


@pytest.hookimpl(trylast=True)
def pytest_uidispatch_test_app(
    name: str, request: pytest.FixtureRequest
) -> AbstractContextManager[ud.Dispatcher] | None:
    """Set up the backends uidispatch maintains; third parties' answers come first."""
    factory = BUILTIN_APPS.get(name)
    return None if factory is None else factory(request)


# ------------------------------------------------------------------------- fixtures


def _fail_on_uncaught(d: ud.Dispatcher, collector: ErrorCollector) -> None:
    if d.error_handler is collector and collector.errors:
        errors = "; ".join(f"{cb!r}: {exc!r}" for exc, cb in collector.errors)
        pytest.fail(f"uncaught exceptions in main-thread callbacks: {errors}")


@pytest.fixture
def uidispatch_backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend the ``dispatcher`` fixture runs on in this test."""
    name: str = request.param
    return name


@pytest.fixture
def dispatcher(request: pytest.FixtureRequest, uidispatch_backend: str) -> Iterator[ud.Dispatcher]:
    """A dispatcher on each installed backend in turn, its toolkit set up for the test.

    The test's thread is the main thread. The dispatcher is the process default
    (``ud.use``) during the test, so code under test that calls ``ud.get_dispatcher()``
    or the decorators without ``dispatcher=`` gets it. It is closed, and its toolkit
    torn down, after the test. Fails the test if a callback raised and the test did
    not claim the error with ``d.error_handler.take()`` (or install its own handler).
    A toolkit that fails to import when set up skips the case, naming the error.
    """
    collector = ErrorCollector()
    with ExitStack() as stack:
        try:
            d = stack.enter_context(open_test_app(uidispatch_backend, request))
        except ImportError as exc:
            pytest.skip(f"uidispatch backend {uidispatch_backend!r}: {exc}")
        d.error_handler = collector
        ud.use(d)
        try:
            yield d
        finally:
            ud.use(None)
    _fail_on_uncaught(d, collector)


@pytest.fixture
def virtual_dispatcher() -> Iterator[ud.Dispatcher]:
    """A fresh dispatcher on the ``virtual`` backend (virtual time), closed after the test.

    Its main thread is the test's thread; move time with ``d.backend.advance(seconds)``.
    The test fails if a callback raised and the test did not claim the error with
    ``d.error_handler.take()`` (or install its own handler).
    """
    d = ud.get_dispatcher("virtual")
    collector = ErrorCollector()
    d.error_handler = collector
    yield d
    d.close()
    _fail_on_uncaught(d, collector)
