"""Which build of the hot path runs: the mypyc-compiled queue when it loads, else the source.

A wheel built with ``UIDISPATCH_COMPILE=1`` ships ``_queue`` as a mypyc extension next to
``_queue.py``; the default build ships the source alone. The extension wins the import when
it loads. Built for another interpreter, the import system never sees it and the source runs;
present but unloadable (a missing runtime library, a broken file), it is reported with a
``RuntimeWarning`` and the source runs. ``UIDISPATCH_PURE_PYTHON=1`` forces the source, to
compare both builds in one environment or to rule the extension out.

Imported by the package before anything imports ``_queue``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings

__all__ = ["COMPILED_MODULES", "ENV_PURE", "compiled", "reason"]

ENV_PURE = "UIDISPATCH_PURE_PYTHON"
COMPILED_MODULES = ("_queue",)  # the modules the compiled build compiles


def _load_source(name: str) -> None:
    """Import ``uidispatch.<name>`` from its ``.py`` file, whatever sits beside it."""
    full = f"{__package__}.{name}"
    path = os.path.join(os.path.dirname(__file__), f"{name}.py")
    loader = importlib.machinery.SourceFileLoader(full, path)
    spec = importlib.util.spec_from_file_location(full, path, loader=loader)
    assert spec is not None  # a path and a loader always give a spec
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[full]
        raise


def _is_extension(name: str) -> bool:
    module = sys.modules[f"{__package__}.{name}"]
    return isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader)


def _choose() -> tuple[bool, str]:
    if os.environ.get(ENV_PURE, "").strip() not in ("", "0"):
        for name in COMPILED_MODULES:
            _load_source(name)
        return False, f"interpreted ({ENV_PURE} is set)"
    failed = []
    for name in COMPILED_MODULES:
        try:
            importlib.import_module(f".{name}", __package__)
        except ImportError as exc:
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            _load_source(name)
    if failed:
        why = "; ".join(failed)
        warnings.warn(
            f"uidispatch: the compiled extension failed to load ({why}); running the "
            "interpreted source instead (reinstall uidispatch to fix it)",
            RuntimeWarning,
            stacklevel=2,
        )
        return False, f"interpreted (the compiled extension failed to load: {why})"
    if all(_is_extension(name) for name in COMPILED_MODULES):
        return True, "compiled (mypyc): " + ", ".join(COMPILED_MODULES)
    return False, "interpreted (no compiled extension installed)"


_CHOICE = _choose()

compiled: bool = _CHOICE[0]
"""True when the mypyc-compiled queue runs, False when the interpreted source does.

Set once, at import. A wheel built with ``UIDISPATCH_COMPILE=1`` holds the compiled queue;
``UIDISPATCH_PURE_PYTHON=1`` in the environment forces the source. Both builds behave the
same and pass the same tests; ``python -m uidispatch doctor`` prints which one runs and why.
"""

reason: str = _CHOICE[1]
"""Why ``compiled`` has its value, in words (what ``uidispatch doctor`` prints)."""
