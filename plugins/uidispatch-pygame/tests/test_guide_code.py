"""The backend guide's code runs as written: its pygame backend passes the conformance suite.

The code blocks of ``docs/guide/writing-a-backend.md`` are extracted by their titles: the
backend and the plugin become a package in a temporary directory, the bench module runs a
small measurement, the conformance class runs every check on the guide's backend in the
guide's blocking loop (and the real plugin's frame loop). And ``docs/guide/testing.md``
states the suite's test count correctly.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import uidispatch as ud
from uidispatch.testing._counting import use_loop_runner
from uidispatch.testing.conformance import BackendConformance

DOCS = Path(__file__).resolve().parents[3] / "docs" / "guide"
BLOCK = re.compile(r'^( *)```python title="([^"]+)"\n(.*?)^\1```', re.S | re.M)


def blocks() -> dict[str, str]:
    text = (DOCS / "writing-a-backend.md").read_text()
    return {title: textwrap.dedent(code) for _, title, code in BLOCK.findall(text)}


@pytest.fixture
def guide_package(tmp_path: Path) -> Iterator[Any]:
    code = blocks()
    package = tmp_path / "guide_pygame"
    package.mkdir()
    (package / "__init__.py").write_text(code["src/uidispatch_pygame/__init__.py"])
    (package / "_backend.py").write_text(code["src/uidispatch_pygame/_backend.py"])
    (package / "bench.py").write_text(code["src/uidispatch_pygame/bench.py"])
    (tmp_path / "guide_conformance.py").write_text(
        code["plugins/uidispatch-pygame/tests/test_conformance.py"]
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("guide_pygame")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [
            m for m in sys.modules if m.split(".")[0] in ("guide_pygame", "guide_conformance")
        ]:
            del sys.modules[name]


@pytest.fixture
def pygame_up() -> Iterator[None]:
    import pygame

    pygame.init()
    pygame.display.set_mode((64, 64))
    try:
        yield
    finally:
        pygame.quit()


def _checks() -> list[str]:
    return [n for n in dir(BackendConformance) if n.startswith("test_")]


def test_testing_guide_states_the_suites_test_count() -> None:
    text = (DOCS / "testing.md").read_text()
    assert f"It runs {len(_checks())} tests" in text


@pytest.mark.usefixtures("pygame_up")
def test_the_guides_backend_passes_every_check_in_its_blocking_loop(guide_package: Any) -> None:
    spec = guide_package.uidispatch_backends()[0]
    conformance = importlib.import_module("guide_conformance")

    class Suite(conformance.TestPygameConformance):  # type: ignore[misc,name-defined]
        blocking_loop = guide_package.run_loop

    ran = []
    for check in _checks():
        method = getattr(Suite(), check)
        if list(inspect.signature(method).parameters) != ["dispatcher"]:
            continue  # needs a pytest fixture (caplog): covered by test_conformance.py
        import pygame

        if not pygame.get_init():  # close_app() ended the previous app
            pygame.init()
            pygame.display.set_mode((64, 64))
        d = ud.Dispatcher(spec.create(None))
        try:
            with use_loop_runner(spec.run_loop, d.backend):
                method(d)
        except pytest.skip.Exception:
            pass
        finally:
            d.close()
        ran.append(check)
    assert len(ran) >= 25


@pytest.mark.usefixtures("pygame_up")
def test_the_guides_bench_module_runs(
    guide_package: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    bench = importlib.import_module("guide_pygame.bench")
    try:
        assert bench.main("pygame", bench.setup, ["--calls", "200", "--json"]) == 0
    finally:
        ud.get_dispatcher("pygame").close()
    out = json.loads(capsys.readouterr().out)
    assert [row["error"] for row in out["rows"]] == [None, None]
    assert {row["kind"] for row in out["rows"]} == {"ours", "naive"}
