"""The private core's layers (docs/concepts.md, "The layers").

``lint-imports`` (in ``nox -s lint``) fails on a run-time import that reaches up a layer.
These tests keep what it cannot see: every private package is in a layer, and the names
a layer's annotations borrow from a layer above stay annotation-only, and few.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "uidispatch"
# (importer, imported): annotations of the dispatcher's shortcuts to the layers above.
TYPE_ONLY_UPWARD = {
    ("uidispatch._core._dispatcher", "uidispatch._timing._throttle"),
    ("uidispatch._core._dispatcher", "uidispatch._addons._watchdog"),
}


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return list(reversed(contract["layers"]))  # lowest first


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Each uidispatch module ``path`` imports, and whether only for type checking."""
    tree = ast.parse(path.read_text())
    here = _module(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            guarded = type_only or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            )
            if isinstance(child, ast.ImportFrom):
                base = here[: len(here) - child.level + 1] if child.level else []
                target = ".".join([*base, *(child.module or "").split(".")]).strip(".")
                if child.module is None:
                    found.extend((f"{target}.{a.name}", type_only) for a in child.names)
                else:
                    found.append((target, type_only))
            visit(child, guarded)

    visit(tree, False)
    return [(name, t) for name, t in found if name.startswith("uidispatch.")]


def _layer_of(module: str, layers: list[str]) -> int | None:
    for i, layer in enumerate(layers):
        if module == layer or module.startswith(layer + "."):
            return i
    return None


def test_every_private_package_is_a_layer_or_the_builtin_backends() -> None:
    layers = _layers()
    packages = {
        f"uidispatch.{p.name}"
        for p in PACKAGE.iterdir()
        if p.is_dir() and p.name.startswith("_") and (p / "__init__.py").exists()
    }
    assert packages - {"uidispatch._backends"} == set(layers)
    flat = sorted(p.name for p in PACKAGE.glob("_*.py") if p.name not in ("__init__.py",))
    assert flat == ["__main__.py"], f"private modules belong in a layer package: {flat}"


def test_upward_references_are_annotations_only_and_listed() -> None:
    layers = _layers()
    upward = set()
    for path in PACKAGE.rglob("*.py"):
        importer = _module(path)
        mine = _layer_of(importer, layers)
        if mine is None:
            continue
        for imported, type_only in _imports(path):
            theirs = _layer_of(imported, layers)
            if theirs is not None and theirs > mine:
                assert type_only, f"{importer} imports {imported} at run time, a layer above"
                upward.add((importer, imported))
    assert upward == TYPE_ONLY_UPWARD
