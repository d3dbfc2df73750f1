"""Two backends for one toolkit: the user's choice decides the tie, and doctor warns about it."""

from __future__ import annotations

import importlib.metadata
import io
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import uidispatch as ud
from uidispatch._core import _plugins
from uidispatch._core._registry import detect
from uidispatch._tools._doctor import run_doctor

TWO_FOR_ONE_TOOLKIT = """
from uidispatch.hookspecs import BackendSpec, Detection, hookimpl
from uidispatch._backends._virtual import VirtualBackend


def _backend(name):
    class Backend(VirtualBackend):
        pass

    Backend.name = name
    return Backend


@hookimpl
def uidispatch_backends():
    # Ours and a user's own, for one toolkit: both see its app, both score APP.
    return [
        BackendSpec(name=name, create=lambda app, name=name: _backend(name)(),
                    detect=lambda: Detection.APP, description="fake")
        for name in ("faketk", "faketk_with_a_long_user_name")
    ]
"""


@pytest.fixture
def two_backends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "fake_tie.py").write_text(textwrap.dedent(TWO_FOR_ONE_TOOLKIT))
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = importlib.metadata.EntryPoint(name="fake_tie", value="fake_tie", group="uidispatch")
    _plugins.reset_registry(_plugins.load_registry([ep]))
    yield
    sys.modules.pop("fake_tie", None)


@pytest.mark.usefixtures("two_backends")
def test_a_tie_goes_first_by_name_and_says_how_to_choose() -> None:
    found = detect()
    assert found.name == "faketk"
    assert found.tied == ("faketk", "faketk_with_a_long_user_name")
    assert "first by name; choose with ud.use(name)" in found.reason


@pytest.mark.usefixtures("two_backends")
def test_a_backend_chosen_by_name_wins_the_tie_for_default_lookups() -> None:
    chosen = ud.get_dispatcher("faketk_with_a_long_user_name")
    try:
        assert detect().name == "faketk_with_a_long_user_name"
        assert "chosen by name" in detect().reason
        assert ud.get_dispatcher() is chosen  # pools and decorators follow the choice
    finally:
        chosen.close()


@pytest.mark.usefixtures("two_backends")
def test_a_later_choice_by_name_replaces_an_earlier_default_lookup() -> None:
    first = ud.get_dispatcher()  # auto-detected: the tie-break
    chosen = ud.get_dispatcher("faketk_with_a_long_user_name")
    try:
        assert first.backend.name == "faketk"
        assert ud.get_dispatcher() is chosen
    finally:
        first.close()
        chosen.close()


@pytest.mark.usefixtures("two_backends")
def test_use_overrides_the_tie() -> None:
    ud.get_dispatcher("faketk_with_a_long_user_name").close()
    ud.use("faketk")
    d = ud.get_dispatcher()
    try:
        assert d.backend.name == "faketk"
    finally:
        d.close()


@pytest.mark.usefixtures("two_backends")
def test_doctor_warns_about_the_tie_and_its_columns_fit_long_names() -> None:
    out = io.StringIO()
    run_doctor(out)
    text = out.getvalue()
    assert "warning: 'faketk' and 'faketk_with_a_long_user_name' tie in auto-detection" in text
    assert "ud.use(NAME)" in text
    rows = [line for line in text.splitlines() if "detection=" in line]
    # Every row's detection column starts at the same place, long name or not.
    assert len({line.index("detection=") for line in rows}) == 1, rows


def test_doctor_says_what_it_picks_without_a_tie_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = TWO_FOR_ONE_TOOLKIT.replace(
        'for name in ("faketk", "faketk_with_a_long_user_name")', 'for name in ("faketk",)'
    )
    (tmp_path / "fake_one.py").write_text(textwrap.dedent(one))
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = importlib.metadata.EntryPoint(name="fake_one", value="fake_one", group="uidispatch")
    _plugins.reset_registry(_plugins.load_registry([ep]))
    try:
        out = io.StringIO()
        run_doctor(out)
    finally:
        sys.modules.pop("fake_one", None)
        _plugins.reset_registry()
    text = out.getvalue()
    assert "here it would pick 'faketk'" in text
    assert "nothing to pick right now" not in text  # the line for "none detected"
    assert "tie in auto-detection" not in text


CANNOT_CREATE = """
from uidispatch.hookspecs import BackendSpec, Detection, hookimpl


def _create(app):
    raise RuntimeError("the fake backend needs its toolkit initialised first")


@hookimpl
def uidispatch_backends():
    # Imported, so detection picks it; but with its app gone it cannot be created.
    return [BackendSpec(name="fakegone", create=_create, detect=lambda: Detection.IMPORTED)]
"""


@pytest.fixture
def cannot_create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "fake_gone.py").write_text(textwrap.dedent(CANNOT_CREATE))
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = importlib.metadata.EntryPoint(name="fake_gone", value="fake_gone", group="uidispatch")
    _plugins.reset_registry(_plugins.load_registry([ep]))
    yield
    sys.modules.pop("fake_gone", None)
    _plugins.reset_registry()


@pytest.mark.usefixtures("cannot_create")
def test_a_detected_backend_that_cannot_be_created_is_nothing_detected() -> None:
    # pygame after pygame.quit(), Textual after its app exited: a default lookup says
    # "nothing to bind", as callers expect, not the toolkit's own RuntimeError.
    with pytest.raises(ud.NoBackendDetected, match="needs its toolkit initialised") as info:
        ud.get_dispatcher()
    assert isinstance(info.value.__cause__, RuntimeError)
    # Asked for by name, the backend's own error is the answer.
    with pytest.raises(RuntimeError, match="needs its toolkit initialised"):
        ud.get_dispatcher("fakegone")


@pytest.mark.usefixtures("cannot_create")
def test_from_a_worker_after_an_app_closed_it_is_the_app_gone() -> None:
    ud.get_dispatcher("virtual").close()  # an app's dispatcher closed
    raised: list[BaseException] = []

    def lookup() -> None:
        try:
            ud.get_dispatcher()
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=lookup)
    worker.start()
    worker.join(10)
    (exc,) = raised
    assert isinstance(exc, ud.DispatcherClosed), exc
