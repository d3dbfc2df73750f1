"""``uidispatch doctor``: what is installed, what failed, what auto-detection picks and why."""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from collections.abc import Callable
from typing import Any, TextIO

from .._core import _compiled
from .._core._registry import ENV_BACKEND, backends, detect
from ..hookspecs import Detection

__all__ = ["doctor_report", "run_doctor"]

ENV_VARS = (ENV_BACKEND, "UIDISPATCH_WORKERS", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


# What a user reading the build line wants next: how to get the other build.
_OTHER_BUILD = {
    True: "the compiled build; UIDISPATCH_PURE_PYTHON=1 runs the pure Python sources instead",
    False: (
        "the pure Python build; the compiled one posts and drains about twice as fast:\n"
        "  pip install uidispatch picks it where a wheel for your platform is published;\n"
        "  from a checkout: UIDISPATCH_COMPILE=1 pip install . (not -e)"
    ),
}


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def doctor_report() -> dict[str, Any]:
    """Collect the doctor's findings as plain data (also what ``--json`` prints)."""
    from .._core._plugins import get_registry

    infos = backends()
    found = detect()
    registry = get_registry()
    rows = []
    for name, info in infos.items():
        spec = registry.specs.get(name)
        missing = [m for m in info.requires if not _importable(m)]
        rows.append(
            {
                "name": name,
                "loaded": info.loaded,
                "builtin": info.builtin,
                "distribution": info.distribution,
                "version": info.version,
                "requires": list(info.requires),
                "missing": missing,
                "detection": Detection(found.scores[name]).name if name in found.scores else None,
                "detect_error": found.errors.get(name),
                "error": info.error,
                "description": info.description,
                "usable": info.loaded and spec is not None and not missing,
            }
        )
    env_choice = os.environ.get(ENV_BACKEND, "").strip() or None
    plugin_lines = _plugin_lines(registry)
    cpu = os.cpu_count() or 1
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "compiled": _compiled.compiled,
        "build": _compiled.reason,
        "backends": rows,
        "failed": {r["name"]: r["error"] for r in rows if not r["loaded"]},
        "env": {k: os.environ.get(k) for k in ENV_VARS},
        "env_choice": env_choice,
        "detected": found.name,
        "detected_reason": found.reason,
        "tied": list(found.tied),
        "display": bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        or sys.platform in ("win32", "darwin"),
        "pool_default_workers": max(12, cpu * 4 + 1),
        "cpu_count": cpu,
        "plugin_lines": plugin_lines,
    }


def _plugin_lines(registry: Any) -> list[str]:
    """Each plugin's ``uidispatch_doctor_lines``; a raising plugin becomes a line, too."""
    lines: list[str] = []
    for impl in registry.manager.hook.uidispatch_doctor_lines.get_hookimpls():
        name = registry.manager.get_name(impl.plugin) or repr(impl.plugin)
        try:
            got = impl.function()
            lines.extend(str(line) for line in got)
        except Exception as exc:
            lines.append(f"{name}: uidispatch_doctor_lines() raised {type(exc).__name__}: {exc}")
    return lines


def run_doctor(out: TextIO, *, as_json: bool = False) -> int:
    """Print the report; exit status 0 when at least one toolkit or loop backend is usable."""
    report = doctor_report()
    usable = [r for r in report["backends"] if r["usable"] and r["name"] != "virtual"]
    if as_json:
        import json

        json.dump(report, out, indent=2)
        out.write("\n")
        return 0 if usable else 1
    w = out.write
    w(f"uidispatch doctor  (Python {report['python']}, {report['platform']})\n")
    w(f"uidispatch.compiled = {report['compiled']}: {report['build']}\n")
    w(f"  {_OTHER_BUILD[bool(report['compiled'])]}\n\n")
    _write_backends(w, report)
    _write_detection(w, report)
    _write_environment(w, report)
    if not usable:
        w("\nNo usable backend: install one (pip install uidispatch-tk) or its toolkit.\n")
        return 1
    return 0


def _write_backends(w: Callable[[str], object], report: dict[str, Any]) -> None:
    """The installed backends in columns, the plugins' own lines and the failed plugins."""
    w("Installed backends:\n")
    loaded = [r for r in report["backends"] if r["loaded"]]
    origins = [
        "built-in" if r["builtin"] else f"{r['distribution']} {r['version'] or ''}".strip()
        for r in loaded
    ]
    states = ["ok" if r["usable"] else f"missing {', '.join(r['missing'])}" for r in loaded]
    # Columns as wide as their longest entry: a user's own backend may have a long name.
    name_w = max([10, *(len(r["name"]) for r in loaded)])
    origin_w = max([28, *(len(o) for o in origins)])
    state_w = max([10, *(len(st) for st in states)])
    for r, origin, state in zip(loaded, origins, states, strict=True):
        w(f"  {r['name']:<{name_w}} {origin:<{origin_w}} {state:<{state_w}} ")
        w(f"detection={r['detection']}\n")
        if r["detect_error"]:
            w(f"  {'':<{name_w}} detect() failed: {r['detect_error']}\n")
    if report.get("plugin_lines"):
        w("\nToolkits:\n")
        for line in report["plugin_lines"]:
            w(f"  {line}\n")
    if report["failed"]:
        w("\nPlugins that failed to load:\n")
        for name, why in report["failed"].items():
            w(f"  {name}: {why}\n")


def _write_detection(w: Callable[[str], object], report: dict[str, Any]) -> None:
    """What auto-detection would pick here, and a warning when backends tie."""
    w("\nAuto-detection:\n")
    if report["env_choice"]:
        w(f"  {ENV_BACKEND}={report['env_choice']} overrides detection.\n")
    if report["detected"]:
        w(f"  here it would pick {report['detected']!r}: {report['detected_reason']}.\n")
        _write_tie(w, report)
    else:
        w(f"  nothing to pick right now: {report['detected_reason']}.\n")
        w("  Inside your app it picks the toolkit whose app is running (create the root/app\n")
        w("  first), or pass a name: uidispatch.get_dispatcher('tk').\n")


def _write_tie(w: Callable[[str], object], report: dict[str, Any]) -> None:
    """A warning when backends tie in auto-detection and no variable decides."""
    if report.get("tied") and not report["env_choice"]:
        tied = " and ".join(repr(n) for n in report["tied"])
        w(
            f"  warning: {tied} tie in auto-detection, so default lookups (pools, decorators,\n"
            f"  get_dispatcher()) pick {report['detected']!r} by a tie-break, not by your choice:\n"
            f"  choose with ud.use(NAME) or {ENV_BACKEND}=NAME (get_dispatcher(NAME) also\n"
            "  wins a tie, for the rest of the process).\n"
        )


def _write_environment(w: Callable[[str], object], report: dict[str, Any]) -> None:
    """The display, the pool's default size, where pool health is read, the variables."""
    w(f"\nDisplay available: {'yes' if report['display'] else 'no (toolkit windows need one)'}\n")
    w(
        f"Worker pool default size: {report['pool_default_workers']} "
        f"(cpu_count={report['cpu_count']}; UIDISPATCH_WORKERS overrides)\n"
    )
    w("Pool health in a running app: log pool.report() (per-operation table) from a key\n")
    w("  binding or signal handler; see docs/guide/services.md.\n")
    w("Environment:\n")
    for key, value in report["env"].items():
        w(f"  {key}={value if value is not None else '(unset)'}\n")
