"""Run a function once a module is imported: how checker parts hook a toolkit the app loads later.

A part must never import its toolkit itself (the Qt part would pick a binding the app did
not choose). A finder at the front of ``sys.meta_path`` wraps the loader of the awaited
modules only, and runs the callbacks right after the module executed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType

__all__ = ["ImportHooks"]

Callback = Callable[[ModuleType], object]


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader, hooks: ImportHooks) -> None:
        self._inner = inner
        self._hooks = hooks

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        self._hooks._imported(module.__name__, module)

    def __getattr__(self, name: str) -> object:  # get_code, get_source, is_package...
        return getattr(self._inner, name)


class ImportHooks(importlib.abc.MetaPathFinder):
    """Callbacks per module name; the finder is in ``sys.meta_path`` while any is awaited."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, list[Callback]] = {}
        self._active = True
        self._finding = threading.local()

    def on_import(self, name: str, fn: Callback) -> None:
        """Call ``fn(module)`` now if ``name`` is imported, else right after its import."""
        module = sys.modules.get(name)
        if module is not None:
            fn(module)
            return
        with self._lock:
            if not self._active:
                return
            self._waiting.setdefault(name, []).append(fn)
            if self not in sys.meta_path:
                sys.meta_path.insert(0, self)

    def close(self) -> None:
        """Forget every callback and leave ``sys.meta_path``."""
        with self._lock:
            self._active = False
            self._waiting.clear()
            if self in sys.meta_path:
                sys.meta_path.remove(self)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """Wrap the loader of an awaited module; leave every other import alone."""
        if fullname not in self._waiting or getattr(self._finding, "on", False):
            return None
        self._finding.on = True
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._finding.on = False
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _Loader(spec.loader, self)
        return spec

    def _imported(self, name: str, module: ModuleType) -> None:
        with self._lock:
            callbacks = self._waiting.pop(name, [])
            if not self._waiting and self in sys.meta_path:
                sys.meta_path.remove(self)
        for fn in callbacks:
            fn(module)
