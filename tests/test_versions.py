"""The core and every plugin share one version, written once per package, and pin each other.

Each distribution's version lives only in its ``__version__`` (hatch reads it from there);
plugins depend on exactly the core of the same version and the core's extras pin exactly
the plugins of the same version, so ``pip install uidispatch[qt]`` can never mix releases.
Runs from a checkout only: an installed core has no ``plugins/`` beside it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_DIRS = sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))

pytestmark = pytest.mark.skipif(
    not (ROOT / "plugins").is_dir(), reason="plugins/ is in the checkout, not in an sdist"
)


def _project(directory: Path) -> dict[str, Any]:
    with (directory / "pyproject.toml").open("rb") as f:
        data: dict[str, Any] = tomllib.load(f)
    return data


def _version(directory: Path) -> str:
    """The version hatch builds: read from the file ``[tool.hatch.version] path`` names."""
    data = _project(directory)
    project = data["project"]
    assert "version" not in project, (
        f"{directory.name}: the version is written in pyproject.toml; write it only in "
        "__version__ and list it in dynamic"
    )
    assert "version" in project.get("dynamic", []), f"{directory.name}: version not dynamic"
    source = directory / data["tool"]["hatch"]["version"]["path"]
    match = re.search(r'^__version__ = "([^"]+)"$', source.read_text(), re.MULTILINE)
    assert match, f'no __version__ = "..." line in {source}'
    return match.group(1)


def _pins(requirements: list[str], name: str) -> list[str]:
    # An extra may sit between name and pin: uidispatch-qt[pyside6]==0.1.0.
    pattern = re.compile(rf"^{re.escape(name)}(?:\[[\w,\s-]*\])?\s*==\s*([^;\s]+)", re.I)
    return [m.group(1) for r in requirements if (m := pattern.match(r))]


def test_there_are_plugins_to_check() -> None:
    names = {_project(d)["project"]["name"] for d in PLUGIN_DIRS}
    assert {"uidispatch-tk", "uidispatch-qt", "uidispatch-kivy"} <= names


def test_every_plugin_has_the_core_version() -> None:
    core = _version(ROOT)
    versions = {_project(d)["project"]["name"]: _version(d) for d in PLUGIN_DIRS}
    drifted = {name: v for name, v in versions.items() if v != core}
    assert not drifted, f"core is {core}; these plugins drifted: {drifted}"


@pytest.mark.parametrize("directory", PLUGIN_DIRS, ids=lambda d: d.name)
def test_plugin_pins_exactly_the_core_of_its_version(directory: Path) -> None:
    project = _project(directory)["project"]
    pins = _pins(project["dependencies"], "uidispatch")
    assert pins == [_version(ROOT)], (
        f"{project['name']} must depend on uidispatch=={_version(ROOT)}, "
        f"found {project['dependencies']}"
    )


def test_core_extras_pin_the_plugins_of_its_version() -> None:
    core = _version(ROOT)
    extras: dict[str, list[str]] = _project(ROOT)["project"]["optional-dependencies"]
    for directory in PLUGIN_DIRS:
        name = _project(directory)["project"]["name"]
        extra = name.removeprefix("uidispatch-")
        if extra not in extras:
            continue  # not every plugin needs an extra on the core
        assert _pins(extras[extra], name) == [core], f"extra [{extra}]: {extras[extra]}"
    for extra in ("tk", "qt", "kivy"):
        assert extra in extras, f"the core has no [{extra}] extra"


def test_runtime_version_matches_the_built_one() -> None:
    import uidispatch

    assert uidispatch.__version__ == _version(ROOT)


def test_changelog_has_a_section_for_the_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(_version(ROOT))}\]", text, re.MULTILINE), (
        "CHANGELOG.md has no '## [X.Y.Z]' section for the current version"
    )
