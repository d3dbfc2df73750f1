"""``doctor`` prints each plugin's ``uidispatch_doctor_lines``; a raising plugin is a line too."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from uidispatch._core import _plugins
from uidispatch._tools._cli import main

TOOLKIT_FACTS = """
from uidispatch.hookspecs import BackendSpec, hookimpl
from uidispatch._backends._virtual import VirtualBackend

@hookimpl
def uidispatch_backends():
    return [BackendSpec(name="facts", create=lambda app: VirtualBackend())]

@hookimpl
def uidispatch_doctor_lines():
    return ["facts: toolkit 1.2.3", "facts: DRIVER=dummy"]
"""

RAISING = """
from uidispatch.hookspecs import hookimpl

@hookimpl
def uidispatch_doctor_lines():
    raise OSError("no display server")
"""


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = []
    for module, source in (("doctor_facts", TOOLKIT_FACTS), ("doctor_raising", RAISING)):
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        eps.append(importlib.metadata.EntryPoint(name=module, value=module, group="uidispatch"))
    _plugins.reset_registry(_plugins.load_registry(eps))
    yield
    _plugins.reset_registry()
    for module in ("doctor_facts", "doctor_raising"):
        sys.modules.pop(module, None)


@pytest.mark.usefixtures("plugins")
def test_doctor_prints_each_plugins_lines_and_a_raising_plugin_as_a_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    section = out.split("Toolkits:\n", 1)[1]
    assert "  facts: toolkit 1.2.3\n  facts: DRIVER=dummy\n" in section
    assert (
        "  doctor_raising: uidispatch_doctor_lines() raised OSError: no display server" in section
    )


@pytest.mark.usefixtures("plugins")
def test_doctor_json_carries_the_plugin_lines(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["plugin_lines"][:2] == ["facts: toolkit 1.2.3", "facts: DRIVER=dummy"]


TOOLKITS = {
    "tk": "uidispatch-tk",
    "qt": "uidispatch-qt",
    "kivy": "uidispatch-kivy",
    "gtk": "uidispatch-gtk",
    "textual": "uidispatch-textual",
    "pygame": "uidispatch-pygame",
}


def test_doctor_lists_every_installed_toolkit_backend(capsys: pytest.CaptureFixture[str]) -> None:
    installed = {}
    for name, dist in TOOLKITS.items():
        try:
            installed[name] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    if not installed:
        pytest.skip("no toolkit plugin is installed in this environment")
    main(["doctor"])
    table = capsys.readouterr().out.split("Installed backends:\n", 1)[1].split("\n\n", 1)[0]
    for name, version in installed.items():
        assert f"  {name:<10} {TOOLKITS[name]} {version}" in table, table
