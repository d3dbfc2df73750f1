"""The process-wide side of the wrong-thread checker: the parts, the watch, the reports.

Several checks may be active at once (``UIDISPATCH_CHECK_THREADS``, the pytest option, a
test's own ``check_threads``). The toolkit parts and the call watch are installed once,
when the first check starts, and removed when the last one stops; each report is located
once and handed to every active check, which keeps its own record and de-duplication.
"""

from __future__ import annotations

import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

from .._core._errors import PluginLoadWarning
from .._core._plugins import get_registry
from ..hookspecs import ThreadCheckSpec
from ._threadcheck_frames import FrameKinds, locate, module_paths
from ._threadcheck_imports import ImportHooks
from ._threadcheck_report import Violation, WrongThreadError, WrongThreadWarning
from ._threadcheck_watch import CallWatch

__all__ = ["Listener", "attach", "detach", "installed_parts", "watch_kind"]


class Listener(Protocol):
    """An active check, as the hub sees it."""

    profile_threads: bool

    def _note(self, violation: Violation) -> str | None:
        """Record ``violation``; answer ``"raise"``, ``"warn"`` or ``None``."""


class _PartReporter:
    """The :class:`uidispatch.hookspecs.ThreadCheckReporter` one part is given."""

    def __init__(self, hub: _Hub, toolkit: str) -> None:
        self._hub = hub
        self._toolkit = toolkit

    @property
    def watching_calls(self) -> bool:
        return self._hub.watch is not None and self._hub.watch.kind is not None

    def is_ui_thread(self) -> bool:
        return threading.get_ident() == self._hub.ui_thread

    def report(self, operation: str) -> None:
        self._hub.report(self._toolkit, operation)

    def on_import(self, module: str, fn: Callable[[ModuleType], object]) -> None:
        hooks = self._hub.imports
        if hooks is not None:
            hooks.on_import(module, fn)


class _Hub:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.listeners: tuple[Listener, ...] = ()
        self.specs: list[ThreadCheckSpec] = []
        self.watch: CallWatch | None = None
        self.classified: list[Any] = []
        self.imports: ImportHooks | None = None
        self.kinds = FrameKinds((), (), ())
        self.ui_thread = threading.main_thread().ident
        self.reporting = threading.local()

    # ----------------------------------------------------------------- activation

    def attach(self, listener: Listener) -> None:
        with self.lock:
            if not self.listeners:
                self._install(profile_threads=listener.profile_threads)
            elif listener.profile_threads and self.watch is not None:
                self._profile_threads()
            self.listeners = (*self.listeners, listener)

    def detach(self, listener: Listener) -> None:
        with self.lock:
            if listener not in self.listeners:
                return
            self.listeners = tuple(x for x in self.listeners if x is not listener)
            if not self.listeners:
                self._uninstall()

    def _install(self, *, profile_threads: bool) -> None:
        registry = get_registry()
        specs: list[ThreadCheckSpec] = []
        ours: list[str] = []
        for plugin in registry.manager.get_plugins():
            if isinstance(plugin, ModuleType):
                ours.extend(module_paths([plugin.__name__]))
        for impl in registry.manager.hook.uidispatch_thread_checks.get_hookimpls():
            name = registry.manager.get_name(impl.plugin) or repr(impl.plugin)
            try:
                specs_of: Any = impl.function()
                found: list[object] = list(specs_of)
            except Exception as exc:
                _warn(f"{name}: uidispatch_thread_checks() raised {type(exc).__name__}: {exc}")
                continue
            for spec in found:
                if isinstance(spec, ThreadCheckSpec):
                    specs.append(spec)
                else:
                    _warn(f"{name}: uidispatch_thread_checks() returned {spec!r}")
        hooks: list[str] = []
        toolkit: list[str] = []
        trusted: list[str] = []
        for spec in specs:
            hooks.extend(module_paths([spec.install.__module__, *spec.hook_modules]))
            toolkit.extend(spec.modules)
            trusted.extend(spec.trusted_modules)
        self.kinds = FrameKinds(toolkit, ours, hooks, trusted)
        self.ui_thread = threading.main_thread().ident
        self.imports = ImportHooks()
        reporters = {spec.toolkit: _PartReporter(self, spec.toolkit) for spec in specs}
        classified = [
            (spec.classify, reporters[spec.toolkit].report) for spec in specs if spec.classify
        ]
        self.classified = classified
        self.watch = CallWatch(classified, self.ui_thread or 0, profile_threads=profile_threads)
        self.watch.start()
        self.specs = []
        for spec in specs:
            try:
                spec.install(reporters[spec.toolkit])
            except Exception as exc:
                _warn(f"the {spec.toolkit} thread check failed to install: {exc!r}")
                continue
            self.specs.append(spec)

    def _profile_threads(self) -> None:
        # A check that asks for the profile hook joins one that did not (a session-wide
        # check and a test's own): the watch is remade with it, for as long as both run.
        watch = self.watch
        if watch is None or watch._profile_threads:
            return
        watch.stop()
        self.watch = CallWatch(self.classified, self.ui_thread or 0, profile_threads=True)
        self.watch.start()

    def _uninstall(self) -> None:
        if self.watch is not None:
            self.watch.stop()
            self.watch = None
        if self.imports is not None:
            self.imports.close()
            self.imports = None
        specs, self.specs = self.specs, []
        for spec in reversed(specs):
            try:
                spec.uninstall()
            except Exception as exc:
                _warn(f"the {spec.toolkit} thread check failed to uninstall: {exc!r}")

    # ----------------------------------------------------------------- reports

    def report(self, toolkit: str, operation: str) -> None:
        listeners = self.listeners
        # A warning shown by the app's own showwarning may touch the toolkit again.
        if not listeners or getattr(self.reporting, "on", False):
            return
        self.reporting.on = True
        try:
            self._report(listeners, toolkit, operation)
        finally:
            self.reporting.on = False

    def _report(self, listeners: tuple[Listener, ...], toolkit: str, operation: str) -> None:
        where = locate(sys._getframe(), self.kinds)
        if where is None:
            return
        frame = where.frame
        violation = Violation(
            toolkit=toolkit,
            operation=where.operation or operation,
            thread_name=threading.current_thread().name,
            filename=frame.f_code.co_filename,
            lineno=frame.f_lineno,
            function=frame.f_code.co_name,
            stack="".join(traceback.format_stack(frame)),
        )
        # Lets the warning show the source line of code linecache cannot read itself. 3.13
        # rejects globals without a loader (code run by runpy.run_path, exec): skip those.
        frame_globals = frame.f_globals
        spec = frame_globals.get("__spec__")
        loaded = getattr(spec, "loader", None) or frame_globals.get("__loader__")
        module_globals = frame_globals if loaded is not None else None
        del frame, where  # no frame kept past this call: frames can hold a Tk root
        actions = {listener._note(violation) for listener in listeners}
        if "raise" in actions:
            raise WrongThreadError(violation)
        if "warn" in actions:
            warnings.warn_explicit(
                str(violation),
                WrongThreadWarning,
                violation.filename,
                violation.lineno,
                module_globals=module_globals,
            )


def _warn(message: str) -> None:
    warnings.warn(f"uidispatch thread check: {message}", PluginLoadWarning, stacklevel=5)


_hub = _Hub()


def attach(listener: Listener) -> None:
    """Start delivering reports to ``listener``; installs the parts for the first one."""
    _hub.attach(listener)


def detach(listener: Listener) -> None:
    """Stop delivering to ``listener``; uninstalls the parts after the last one."""
    _hub.detach(listener)


def installed_parts() -> list[str]:
    """The toolkits whose parts are installed now (for ``doctor`` and tests)."""
    return [spec.toolkit for spec in _hub.specs]


def watch_kind() -> str | None:
    """How calls are watched now: ``"monitoring"``, ``"profile"`` or ``None``."""
    watch = _hub.watch
    return None if watch is None else watch.kind
