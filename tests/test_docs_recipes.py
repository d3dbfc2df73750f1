"""The recipes page's examples are complete modules that compile and pass mypy --strict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "guide" / "recipes.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_each_example_compiles(index: int) -> None:
    compile(BLOCKS[index], f"recipes.md example {index}", "exec")


def test_the_examples_pass_mypy_strict(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    files = []
    for index, block in enumerate(BLOCKS):
        path = tmp_path / f"recipe_{index}.py"
        path.write_text(block, encoding="utf-8")
        files.append(str(path))
    cache = Path(__file__).resolve().parent.parent / ".mypy_cache"
    out, err, status = api.run(["--strict", "--cache-dir", str(cache), *files])
    assert status == 0, out + err
