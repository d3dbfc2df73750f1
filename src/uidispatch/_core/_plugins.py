"""Backend discovery: the pluggy PluginManager, entry-point loading and validation.

pluggy's own ``load_setuptools_entrypoints`` stops at the first plugin that fails to
import; here each entry point loads under its own ``try`` so one broken plugin is
reported (a ``PluginLoadWarning``, ``backends()``, ``doctor``) and the rest still load.
"""

from __future__ import annotations

import importlib.metadata
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from .. import hookspecs
from ..hookspecs import PROJECT_NAME, BackendSpec
from ._errors import PluginLoadWarning

__all__ = ["Registry", "get_registry", "load_registry", "reset_registry"]


@dataclass
class Registry:
    """Everything discovery found: loaded backend specs and the plugins that failed."""

    manager: pluggy.PluginManager
    specs: dict[str, BackendSpec] = field(default_factory=dict)
    origins: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    """backend name -> (plugin name, distribution, version)."""
    failures: dict[str, str] = field(default_factory=dict)
    """plugin or backend name -> why it failed to load."""


def _dist_of(ep: importlib.metadata.EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    try:
        return dist.metadata["Name"], dist.version
    except Exception:  # pragma: no cover - broken metadata
        return None, None


def _fail(registry: Registry, name: str, why: str) -> None:
    registry.failures[name] = why
    warnings.warn(
        f"uidispatch backend plugin {name!r} failed to load: {why}", PluginLoadWarning, stacklevel=4
    )


def load_registry(entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> Registry:
    """Build a registry from the built-in backends and the ``uidispatch`` entry points.

    ``entry_points`` replaces the installed ones (tests use it to discover without installing).
    """
    from .. import _backends  # the built-in backends, loaded with the plugins, not before

    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    registry = Registry(manager)
    manager.register(_backends, name="uidispatch.builtin")
    dists: dict[str, tuple[str | None, str | None]] = {"uidispatch.builtin": ("uidispatch", None)}
    if entry_points is None:
        entry_points = importlib.metadata.entry_points(group=PROJECT_NAME)
    seen: set[tuple[str, str]] = set()
    for ep in entry_points:
        if (ep.name, ep.value) in seen:  # the same distribution visible twice on sys.path
            continue
        seen.add((ep.name, ep.value))
        try:
            plugin = ep.load()
            manager.register(plugin, name=ep.name)
        except Exception as exc:
            _fail(registry, ep.name, f"{type(exc).__name__}: {exc}")
            continue
        dists[ep.name] = _dist_of(ep)
    for impl in manager.hook.uidispatch_backends.get_hookimpls():
        plugin_name = manager.get_name(impl.plugin) or repr(impl.plugin)
        # Called one plugin at a time, so a raising hook names its own plugin.
        try:
            specs: Any = impl.function()
            specs = list(specs)
        except Exception as exc:
            _fail(
                registry, plugin_name, f"uidispatch_backends() raised {type(exc).__name__}: {exc}"
            )
            continue
        for spec in specs:
            if not isinstance(spec, BackendSpec):
                _fail(
                    registry,
                    plugin_name,
                    f"uidispatch_backends() returned {spec!r}, not a BackendSpec",
                )
                continue
            if spec.name in registry.specs:
                owner = registry.origins[spec.name][0]
                _fail(
                    registry,
                    f"{plugin_name}:{spec.name}",
                    f"duplicate backend name {spec.name!r}, already provided by {owner!r}",
                )
                continue
            dist, version = dists.get(plugin_name, (None, None))
            if spec.distribution is not None and dist is None:
                dist = spec.distribution
            if version is None and dist is not None:
                try:
                    version = importlib.metadata.version(dist)
                except importlib.metadata.PackageNotFoundError:
                    version = None
            registry.specs[spec.name] = spec
            registry.origins[spec.name] = (plugin_name, dist, version)
    return registry


_lock = threading.Lock()
_registry: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, loaded on first use."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = load_registry()
        return _registry


def reset_registry(registry: Registry | None = None) -> None:
    """Replace (or forget, to reload on next use) the process-wide registry. For tests."""
    global _registry
    with _lock:
        _registry = registry
