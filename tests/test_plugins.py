"""Backend discovery through entry points, without installing anything, and auto-detection."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import uidispatch as ud
from uidispatch._core import _plugins
from uidispatch.hookspecs import Detection

GOOD = """
from uidispatch.hookspecs import BackendSpec, Detection, hookimpl
from uidispatch._backends._virtual import VirtualBackend

class FakeBackend(VirtualBackend):
    name = "{name}"

SCORE = Detection.{score}

@hookimpl
def uidispatch_backends():
    return [BackendSpec(name="{name}", create=lambda app: FakeBackend(),
                        detect=lambda: SCORE, requires=("json",), description="fake")]
"""


def make_plugin(tmp_path: Path, module: str, source: str) -> importlib.metadata.EntryPoint:
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    return importlib.metadata.EntryPoint(name=module, value=module, group="uidispatch")


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name.startswith("fake_"):
            del sys.modules[name]


def install(*eps: importlib.metadata.EntryPoint) -> None:
    _plugins.reset_registry(_plugins.load_registry(list(eps)))


def test_builtins_are_registered_through_the_hook() -> None:
    install()
    infos = ud.backends()
    assert {"asyncio", "virtual"} <= set(infos)
    assert infos["virtual"].builtin
    assert infos["virtual"].loaded


def test_third_party_backend_is_discovered_and_usable(plugin_dir: Path) -> None:
    install(make_plugin(plugin_dir, "fake_gtk", GOOD.format(name="gtk", score="RUNNING")))
    info = ud.backends()["gtk"]
    assert info.loaded
    assert not info.builtin
    assert info.requires == ("json",)
    d = ud.get_dispatcher()
    assert d.backend.name == "gtk"
    assert ud.get_dispatcher() is d
    d.close()


def test_broken_plugin_is_reported_and_the_others_load(plugin_dir: Path) -> None:
    broken = make_plugin(plugin_dir, "fake_broken", "raise ImportError('no toolkit here')")
    good = make_plugin(plugin_dir, "fake_good", GOOD.format(name="good", score="IMPORTED"))
    with pytest.warns(ud.PluginLoadWarning, match="'fake_broken' failed to load.*no toolkit"):
        install(broken, good)
    infos = ud.backends()
    assert not infos["fake_broken"].loaded
    assert "ImportError: no toolkit here" in (infos["fake_broken"].error or "")
    assert infos["good"].loaded


def test_plugin_whose_hook_raises_is_reported(plugin_dir: Path) -> None:
    src = """
    from uidispatch.hookspecs import hookimpl
    @hookimpl
    def uidispatch_backends():
        raise RuntimeError("hook broke")
    """
    with pytest.warns(ud.PluginLoadWarning, match="hook broke"):
        install(make_plugin(plugin_dir, "fake_hook", src))
    assert "RuntimeError: hook broke" in (ud.backends()["fake_hook"].error or "")


def test_plugin_returning_garbage_is_reported(plugin_dir: Path) -> None:
    src = """
    from uidispatch.hookspecs import hookimpl
    @hookimpl
    def uidispatch_backends():
        return ["tk"]
    """
    with pytest.warns(ud.PluginLoadWarning, match="not a BackendSpec"):
        install(make_plugin(plugin_dir, "fake_garbage", src))


def test_duplicate_backend_name_keeps_the_first(plugin_dir: Path) -> None:
    first = make_plugin(plugin_dir, "fake_one", GOOD.format(name="dup", score="NONE"))
    second = make_plugin(plugin_dir, "fake_two", GOOD.format(name="dup", score="NONE"))
    with pytest.warns(ud.PluginLoadWarning, match="duplicate backend name 'dup'"):
        install(first, second)
    assert _plugins.get_registry().origins["dup"][0] == "fake_one"


def test_duplicate_builtin_name_is_rejected(plugin_dir: Path) -> None:
    with pytest.warns(ud.PluginLoadWarning, match="duplicate backend name 'virtual'"):
        install(make_plugin(plugin_dir, "fake_virtual", GOOD.format(name="virtual", score="NONE")))
    assert ud.backends()["virtual"].builtin


def test_the_same_entry_point_twice_loads_once(plugin_dir: Path) -> None:
    ep = make_plugin(plugin_dir, "fake_twice", GOOD.format(name="twice", score="NONE"))
    install(ep, ep)  # no warning: a distribution seen twice on sys.path
    assert ud.backends()["twice"].loaded


def test_raising_detect_does_not_break_detection(plugin_dir: Path) -> None:
    src = GOOD.format(name="flaky", score="NONE").replace(
        "detect=lambda: SCORE", "detect=lambda: 1 / 0"
    )
    good = make_plugin(plugin_dir, "fake_ok", GOOD.format(name="ok", score="APP"))
    install(make_plugin(plugin_dir, "fake_flaky", src), good)
    found = ud._core._registry.detect()
    assert found.name == "ok"
    assert "ZeroDivisionError" in found.errors["flaky"]


def test_detection_prefers_running_over_app_over_imported(plugin_dir: Path) -> None:
    install(
        make_plugin(plugin_dir, "fake_a", GOOD.format(name="aaa", score="IMPORTED")),
        make_plugin(plugin_dir, "fake_b", GOOD.format(name="bbb", score="RUNNING")),
        make_plugin(plugin_dir, "fake_c", GOOD.format(name="ccc", score="APP")),
    )
    found = ud._core._registry.detect()
    assert (found.name, found.scores["aaa"]) == ("bbb", Detection.IMPORTED)
    assert "running" in found.reason


def test_no_backend_detected_names_what_was_looked_at() -> None:
    install()
    with pytest.raises(ud.NoBackendDetected, match=r"asyncio=NONE.*installed: asyncio, virtual"):
        ud.get_dispatcher()


def test_unknown_backend_name_lists_the_installed_ones() -> None:
    install()
    with pytest.raises(
        ud.BackendNotFound,
        match=r"no backend 'gtk'; installed: asyncio, virtual \(pip install uidispatch-gtk\?\)",
    ):
        ud.get_dispatcher("gtk")
    with pytest.raises(ud.BackendNotFound, match="'gtk'"):
        ud.use("gtk")


def test_env_var_selects_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    install()
    monkeypatch.setenv("UIDISPATCH_BACKEND", "virtual")
    d = ud.get_dispatcher()
    assert d.backend.name == "virtual"
    d.close()


def test_bad_env_var_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    install()
    monkeypatch.setenv("UIDISPATCH_BACKEND", "nope")
    with pytest.raises(ud.BackendNotFound, match=r"no backend 'nope'.*UIDISPATCH_BACKEND"):
        ud.get_dispatcher()


def test_use_name_then_use_dispatcher_then_close_redetects() -> None:
    install()
    ud.use("virtual")
    d = ud.get_dispatcher()
    assert d.backend.name == "virtual"
    assert ud.get_dispatcher() is d
    mine = ud.Dispatcher(d.backend.__class__())
    assert ud.use(mine) is mine
    assert ud.get_dispatcher() is mine
    mine.close()
    ud.use(None)
    with pytest.raises(ud.NoBackendDetected):
        ud.get_dispatcher()
    d.close()


def test_use_rejects_other_types() -> None:
    with pytest.raises(
        TypeError, match="backend must be a backend name, a Dispatcher or None, got 3"
    ):
        ud.use(3)  # type: ignore[arg-type]


def test_closed_dispatcher_is_replaced_on_next_lookup() -> None:
    install()
    d1 = ud.get_dispatcher("virtual")
    assert ud.get_dispatcher("virtual") is d1
    d1.close()
    d2 = ud.get_dispatcher("virtual")
    assert d2 is not d1
    assert not d2.closed
    d2.close()


def test_get_dispatcher_binds_one_dispatcher_per_app() -> None:
    import asyncio

    install()
    loop1, loop2 = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        a = ud.get_dispatcher("asyncio", app=loop1)
        b = ud.get_dispatcher("asyncio", app=loop2)
        assert a is not b
        assert ud.get_dispatcher("asyncio", app=loop1) is a
        a.close()
        b.close()
    finally:
        loop1.close()
        loop2.close()


def test_a_worker_asking_after_the_apps_dispatcher_closed_is_told_it_closed() -> None:
    # The window closed: a worker's default lookup finds no app, and the app it served is
    # gone: DispatcherClosed (what callers drop quietly), with the detection as the cause.
    install()  # the built-in backends only: nothing to auto-detect here
    ud.get_dispatcher("virtual").close()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            ud.get_dispatcher()
        except Exception as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join(5)
    try:
        assert [type(e) for e in errors] == [ud.DispatcherClosed]
        assert isinstance(errors[0].__cause__, ud.NoBackendDetected)
        with pytest.raises(ud.NoBackendDetected):
            ud.get_dispatcher()  # the main thread is told what to set up
    finally:
        ud._core._registry.reset()
