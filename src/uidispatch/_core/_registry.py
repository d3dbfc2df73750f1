"""get_dispatcher, use, backends: choosing a backend and binding one dispatcher per app."""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from ..hookspecs import BackendSpec, Detection, LoopRunner
from ._dispatcher import Dispatcher
from ._errors import BackendNotFound, DispatcherClosed, NoBackendDetected, UIDispatchError
from ._fork import in_child
from ._plugins import Registry, get_registry
from ._release import release_parked

__all__ = ["BackendInfo", "Detected", "backends", "detect", "get_dispatcher", "use"]

ENV_BACKEND = "UIDISPATCH_BACKEND"


@dataclass(frozen=True)
class BackendInfo:
    """What discovery knows about one installed backend (or one plugin that failed)."""

    name: str
    """The backend's registry name (for a failed plugin: its entry-point name)."""
    loaded: bool
    """False when the plugin failed to load; ``error`` says why."""
    error: str | None = None
    """Why the plugin failed to load, or ``None``."""
    distribution: str | None = None
    """The distribution that provides it."""
    version: str | None = None
    """That distribution's version."""
    requires: tuple[str, ...] = ()
    """Toolkit modules the backend needs."""
    description: str = ""
    """One line about the backend."""
    builtin: bool = False
    """True for the ``asyncio`` and ``virtual`` backends that ship with the core."""
    run_loop: LoopRunner | None = field(default=None, repr=False, compare=False)
    """How an app runs the toolkit's loop (``BackendSpec.run_loop``), or ``None``."""


@dataclass(frozen=True)
class Detected:
    """The result of auto-detection: the chosen backend, why, and every score seen."""

    name: str | None
    reason: str
    scores: dict[str, int]
    errors: dict[str, str]
    tied: tuple[str, ...] = ()
    """Every backend that shared the top score when more than one did (``doctor`` warns)."""


def backends() -> dict[str, BackendInfo]:
    """Installed backends by name, built-in and third-party, plus plugins that failed to load."""
    registry = get_registry()
    out: dict[str, BackendInfo] = {}
    for name, spec in sorted(registry.specs.items()):
        plugin, dist, version = registry.origins[name]
        out[name] = BackendInfo(
            name=name,
            loaded=True,
            distribution=dist,
            version=version,
            requires=tuple(spec.requires),
            description=spec.description,
            builtin=plugin == "uidispatch.builtin",
            run_loop=spec.run_loop,
        )
    for name, why in sorted(registry.failures.items()):
        out.setdefault(name, BackendInfo(name=name, loaded=False, error=why))
    return out


def _spec(registry: Registry, name: str, source: str = "name") -> BackendSpec:
    if not isinstance(name, str):
        raise TypeError(f"{source} must be a backend name (str), got {name!r}")
    try:
        return registry.specs[name]
    except KeyError:
        installed = ", ".join(sorted(registry.specs)) or "none"
        hint = f" ({registry.failures[name]})" if name in registry.failures else ""
        raise BackendNotFound(
            f"no backend {name!r}{hint}; installed: {installed} "
            f"(pip install uidispatch-{name}?)" + (f" [from {source}]" if source != "name" else "")
        ) from None


def detect() -> Detected:
    """Score every backend and pick one, in the documented auto-detection order.

    Explicit names and ``UIDISPATCH_BACKEND`` are handled by :func:`get_dispatcher`; this
    picks among running apps > created apps > imported toolkits > a running asyncio loop.
    """
    registry = get_registry()
    scores: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, spec in sorted(registry.specs.items()):
        try:
            scores[name] = int(spec.detect())
        except Exception as exc:  # a broken detect() must not break the others
            errors[name] = f"detect() raised {type(exc).__name__}: {exc}"
            scores[name] = Detection.NONE
    best = max(scores.values(), default=Detection.NONE)
    if best < Detection.LOOP:
        looked = ", ".join(f"{n}={Detection(s).name}" for n, s in scores.items()) or "no backends"
        return Detected(
            None, f"no running app, imported toolkit or running loop ({looked})", scores, errors
        )
    winners = [n for n, s in scores.items() if s == best]
    why = Detection(best).name.lower()
    reason = {
        "running": "its main loop is running",
        "app": "its app object exists",
        "imported": "its toolkit is imported",
        "loop": "an asyncio loop is running in this thread",
    }.get(why, why)
    if len(winners) > 1:
        # Two backends for one toolkit (a user's own beside ours) score alike: the one the
        # process chose by name wins, so pools and decorators follow that choice.
        chosen = _chosen
        if chosen in winners:
            others = ", ".join(w for w in winners if w != chosen)
            reason += f" (tie with {others}: chosen by name with get_dispatcher({chosen!r}))"
            return Detected(chosen, reason, scores, errors, tuple(winners))
        reason += (
            f" (tie with {', '.join(winners[1:])}: first by name; choose with "
            f"ud.use(name) or {ENV_BACKEND})"
        )
    return Detected(winners[0], reason, scores, errors, tuple(winners) if len(winners) > 1 else ())


# ---------------------------------------------------------------------- binding

_lock = threading.RLock()
_bound: dict[str, list[tuple[Any, Dispatcher]]] = {}  # name -> [(app ref, dispatcher)]
_default: Dispatcher | None = None  # set by use(dispatcher)
_default_name: str | None = None  # set by use(name)
_last: Dispatcher | None = None  # what the last default lookup returned
_gone: str | None = None  # the last dispatcher that closed, while no newer one was made
_chosen: str | None = None  # the latest get_dispatcher(name): it wins detection's ties


def _ref(app: object | None) -> Any:
    if app is None:
        return None
    try:
        return weakref.ref(app)
    except TypeError:
        return lambda: app


def _find(name: str, app: object | None) -> Dispatcher | None:
    """The open dispatcher bound to ``app`` for backend ``name``, or None. Holds ``_lock``."""
    entries = _bound.setdefault(name, [])
    # Forget closed dispatchers and ones whose app was collected.
    entries[:] = [(r, d) for r, d in entries if not d.closed and (r is None or r() is not None)]
    for r, d in entries:
        if (r() if r is not None else None) is app:
            return d
    return None


def _bind(spec: BackendSpec, app: object | None) -> Dispatcher:
    """The dispatcher for ``app``, created if needed. Called without ``_lock`` held.

    Creating a backend off its UI thread waits for that thread (Tk's setup does), and
    the UI thread may be asking for the dispatcher at the same time: holding the lock
    while creating froze it until the worker gave up. So nothing is created under the
    lock, and nobody waits for another thread's creation either: each caller that finds
    nothing creates its own, the first one published wins, the others are closed.
    """
    global _gone
    name = spec.name
    with _lock:
        found = _find(name, app)
    if found is not None:
        return found
    try:
        created = Dispatcher(spec.create(app))
    except Exception:
        with _lock:
            found = _find(name, app)
        if found is not None:  # another caller (the UI thread) made it meanwhile
            return found
        raise
    with _lock:
        found = _find(name, app)
        if found is None:
            _gone = None
            _bound[name].append((_ref(app), created))
            created._on_close.append(_forget)
            return created
    created.close()  # lost the race: the UI thread releases its resources soon
    return found


def _forget(d: Dispatcher) -> None:
    """Drop every reference the registry holds to ``d``, which is closing. Any thread."""
    global _default, _last, _gone
    with _lock:
        _gone = repr(d)
        entries = _bound.get(d.backend.name)
        if entries:
            entries[:] = [(r, bound) for r, bound in entries if bound is not d]
        if _default is d:
            _default = None
        if _last is d:
            _last = None


def get_dispatcher(name: str | None = None, app: object | None = None) -> Dispatcher:
    """Return the dispatcher for a backend, bound to its toolkit's current app. Any thread.

    ``name`` picks a backend explicitly; otherwise the default set by :func:`use`, then
    ``UIDISPATCH_BACKEND``, then auto-detection (a running app or loop, then a created
    app, then an imported toolkit, then a running asyncio loop); backends tied there (two
    for one toolkit) go to the one last picked by ``name`` here, else the first by name
    (:func:`use` makes the choice outright). ``app`` binds to a given
    app object (a Tk root, a ``QApplication``, an asyncio loop). The dispatcher is created
    on first use and reused; once it is closed or its app is gone the next call binds a
    fresh one.

    Raises:
        BackendNotFound: ``name`` (or ``UIDISPATCH_BACKEND``) names no installed backend.
        NoBackendDetected: nothing to auto-detect; the message lists what was looked at.

    """
    global _last, _chosen
    release_parked()  # a main thread calling in is where an app's handed-over objects go
    registry = get_registry()
    explicit = name is not None
    default_lookup = name is None and app is None
    with _lock:
        if name is not None or app is not None:
            if name is None:
                name = _resolve_default_name(registry)
            spec = _spec(registry, name)
            if explicit:
                _chosen = name
        else:
            if _default is not None and not _default.closed:
                return _default
            last = _last
            if last is not None and not last.closed:
                if not last.is_main_thread():
                    # From a worker the app cannot always be seen (an asyncio loop is only
                    # visible in its own thread): the dispatcher the app uses is the answer.
                    return last
                found = registry.specs.get(last.backend.name)
                if found is not None and _is_bound_to(last, found.current_app()):
                    return last
            spec = _default_spec(registry)
    if app is None:
        app = spec.current_app()
    try:
        d = _bind(spec, app)
    except UIDispatchError:
        raise
    except Exception as exc:
        if not default_lookup:
            raise  # the caller named the backend or its app: its own error says most
        raise _not_creatable(spec, exc) from exc
    with _lock:
        if name is None:  # a default lookup
            _last = d
        elif explicit and _last is not None and _last.backend.name != name and d.is_main_thread():
            _last = None  # the next default lookup detects again: a tie goes to this choice
    return d


def _default_spec(registry: Registry) -> BackendSpec:
    """The spec a default lookup binds; called with ``_lock`` held."""
    try:
        return _spec(registry, _resolve_default_name(registry))
    except NoBackendDetected as exc:
        gone = _gone
        if gone is None or threading.current_thread() is threading.main_thread():
            raise
        # A worker asking after the app's window closed: the app it served is gone, which
        # is what DispatcherClosed says (and what callers drop quietly), not a setup error.
        raise DispatcherClosed(
            f"{gone} has closed and no app is left to bind (the app is gone): {exc}"
        ) from exc


def _not_creatable(spec: BackendSpec, exc: Exception) -> UIDispatchError:
    """What a default lookup raises when the backend it picked cannot be made here.

    Detection scores an imported toolkit even with no app left (pygame after
    ``pygame.quit()``, Textual after the app exited): its ``create()`` then fails with the
    toolkit's own error. For the caller that is "nothing to bind", as with nothing
    detected; and from a worker after the app's dispatcher closed, "the app is gone".
    """
    why = f"the {spec.name!r} backend was picked but cannot be created here: {exc}"
    gone = _gone
    if gone is not None and threading.current_thread() is not threading.main_thread():
        return DispatcherClosed(f"{gone} has closed and no app is left to bind ({why})")
    return NoBackendDetected(
        f"{why}. Create your app (or root window) first, or pass a name: get_dispatcher('tk')"
    )


def _is_bound_to(d: Dispatcher, app: object | None) -> bool:
    for r, bound in _bound.get(d.backend.name, ()):
        if bound is d:
            return (r() if r is not None else None) is app
    return False


def _resolve_default_name(registry: Registry) -> str:
    if _default_name is not None:
        return _default_name
    env = os.environ.get(ENV_BACKEND, "").strip()
    if env:
        _spec(registry, env, source=f"the {ENV_BACKEND} environment variable")
        return env
    found = detect()
    if found.name is None:
        installed = ", ".join(sorted(registry.specs)) or "none"
        raise NoBackendDetected(
            f"no backend detected: {found.reason}; installed: {installed}. Create your "
            f"app (or root window) first, or pass a name: get_dispatcher('tk'), "
            f"ud.use('qt') or {ENV_BACKEND}=kivy"
        )
    return found.name


def use(backend: str | Dispatcher | None) -> Dispatcher | None:
    """Set the process default: a backend name, a :class:`Dispatcher`, or ``None`` to reset.

    With a name, default lookups bind that backend to its current app (the dispatcher is
    not created until first use) and ``None`` is returned; with a dispatcher, it is returned
    and used until it is closed, after which default lookups auto-detect again.

    Raises:
        BackendNotFound: unknown name.
        TypeError: anything else.

    """
    global _default, _default_name, _last
    if isinstance(backend, str):
        _spec(get_registry(), backend, source="backend")
        with _lock:
            _default, _default_name, _last = None, backend, None
        return None
    if isinstance(backend, Dispatcher):
        with _lock:
            _default, _default_name = backend, None
            if _forget not in backend._on_close:
                backend._on_close.append(_forget)
        return backend
    if backend is None:
        with _lock:
            _default, _default_name, _last = None, None, None
        return None
    raise TypeError(f"backend must be a backend name, a Dispatcher or None, got {backend!r}")


def reset() -> None:
    """Forget every binding and default (tests). Dispatchers are not closed."""
    global _default, _default_name, _last, _gone, _chosen
    with _lock:
        _bound.clear()
        _default = _default_name = _last = _gone = _chosen = None


def _after_fork_in_child() -> None:
    """Forget the parent's bindings (its dispatchers are closed here) and its lock state."""
    global _lock, _default, _last
    _lock = threading.RLock()
    _bound.clear()
    _default = _last = None  # a use(name) default stays: it names a backend, not a loop


in_child(_after_fork_in_child)
