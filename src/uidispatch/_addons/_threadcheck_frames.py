"""Find the caller's own frame behind a toolkit call: the line a wrong-thread report names.

Walking out from the toolkit call, each frame is one of:

- a *hook* frame (the checker's own modules, a part's proxy or patch): skipped;
- a *toolkit* frame (``tkinter``, ``PySide6``...): skipped, and the outermost one names
  the operation the caller entered (``Label.configure``);
- a *trusted* frame (a backend's own module that calls its toolkit from a worker by
  design, such as Tk's set-up from a worker) met before any caller frame: never reported;
- a *pass-through* frame (uidispatch and its plugins, ``threading``,
  ``concurrent.futures``): skipped, the first one kept as the fallback location when no
  caller frame exists (``pool.submit(label.configure, ...)``,
  ``Thread(target=label.configure)``): a widget method handed to a worker is still a bug.
- anything else is the caller's: the walk stops there.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from types import FrameType

__all__ = ["FrameKinds", "Location", "locate", "module_paths"]

HOOK, TOOLKIT, TRUSTED, PASS, USER = range(5)

_PASS_THROUGH = tuple(
    os.path.normcase(os.path.abspath(p))
    for p in (threading.__file__, os.path.join(os.path.dirname(threading.__file__), "concurrent"))
)
_UIDISPATCH = os.path.normcase(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_HERE = os.path.normcase(os.path.dirname(os.path.abspath(__file__)))


def module_paths(names: Iterable[str]) -> list[str]:
    """The files (a module) or folders (a package) of the imported modules among ``names``."""
    paths = []
    for name in names:
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = os.path.normcase(os.path.abspath(path))
        if os.path.basename(path).startswith("__init__."):
            path = os.path.dirname(path)
        paths.append(path)
    return paths


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + os.sep) for prefix in prefixes)


class FrameKinds:
    """Classifies frames by file.

    Toolkit and trusted modules are given by name and picked up once imported (often
    later than the check's start).
    """

    def __init__(
        self,
        toolkit_modules: Iterable[str],
        ours: Iterable[str],
        hooks: Iterable[str],
        trusted: Iterable[str] = (),
    ) -> None:
        self._toolkit_names = tuple(dict.fromkeys(toolkit_modules))
        self._ours = (_UIDISPATCH, *(os.path.normcase(p) for p in ours))
        self._hooks = tuple(os.path.normcase(p) for p in hooks)
        self._trusted_names = tuple(dict.fromkeys(trusted))
        self._trusted: tuple[str, ...] = ()
        self._toolkit: tuple[str, ...] = ()
        self._cache: dict[str, int] = {}
        self._seen_modules = -1

    def _refresh(self) -> None:
        # A toolkit imported after the check started: its files are toolkit files from now.
        count = len(sys.modules)
        if count != self._seen_modules:
            self._seen_modules = count
            toolkit = tuple(module_paths(self._toolkit_names))
            trusted = tuple(module_paths(self._trusted_names))
            if toolkit != self._toolkit or trusted != self._trusted:
                self._toolkit, self._trusted = toolkit, trusted
                self._cache.clear()

    def kind(self, filename: str) -> int:
        """The kind of a frame running code from ``filename``."""
        kind = self._cache.get(filename)
        if kind is None:
            path = os.path.normcase(os.path.abspath(filename))
            base = os.path.basename(path)
            if _under(path, self._hooks) or (
                os.path.dirname(path) == _HERE and base.startswith("_threadcheck")
            ):
                kind = HOOK
            elif _under(path, self._trusted):
                kind = TRUSTED
            elif _under(path, self._toolkit):
                kind = TOOLKIT
            elif _under(path, self._ours) or _under(path, _PASS_THROUGH):
                kind = PASS
            else:
                kind = USER
            self._cache[filename] = kind
        return kind


@dataclass
class Location:
    """Where a toolkit call came from."""

    frame: FrameType
    """The caller's frame (or the fallback: a pass-through or toolkit frame)."""
    operation: str | None
    """``Class.method`` of the outermost toolkit frame, when the call went through one."""


def _operation_of(frame: FrameType) -> str:
    name = frame.f_code.co_name
    owner = frame.f_locals.get("self")
    if owner is not None:
        return f"{type(owner).__name__}.{name}"
    module = frame.f_globals.get("__name__", "?")
    return f"{module}.{name}"


def locate(frame: FrameType | None, kinds: FrameKinds) -> Location | None:
    """Walk out from ``frame``; ``None`` for a trusted module's call or a finalizer's."""
    kinds._refresh()
    entry: FrameType | None = None
    fallback: FrameType | None = None
    while frame is not None:
        kind = kinds.kind(frame.f_code.co_filename)
        if kind == USER:
            break
        if kind == TOOLKIT:
            if frame.f_code.co_name == "__del__":
                return None  # a collection on whatever thread: not a line of the app
            entry = frame
        elif kind == TRUSTED:
            return None
        elif kind == PASS and fallback is None:
            fallback = frame
        frame = frame.f_back
    operation = None if entry is None else _operation_of(entry)
    where = frame or fallback or entry
    return None if where is None else Location(where, operation)
