"""LazyDispatcher: which dispatcher a decorator uses, resolved at the first call."""

from __future__ import annotations

import weakref

from .._core._dispatcher import Dispatcher
from .._core._registry import get_dispatcher

__all__ = ["LazyDispatcher"]


class LazyDispatcher:
    """The dispatcher a decorator uses: the one it was given, or the default at first call.

    Resolving at first call (never at decoration) lets a module decorate its functions
    at import time, before any toolkit app or dispatcher exists. A resolved default that
    has since closed (its app went away, or the test that owned it ended) is looked up
    again, so a second root, app or loop just works. Any thread.
    """

    __slots__ = ("_explicit", "_resolved")

    def __init__(self, dispatcher: Dispatcher | None) -> None:
        if dispatcher is not None and not isinstance(dispatcher, Dispatcher):
            raise TypeError(
                f"dispatcher must be a uidispatch.Dispatcher or None, got {dispatcher!r}"
            )
        self._explicit = dispatcher
        # Weak: a decorated function lives as long as its module; the default dispatcher it
        # found must not outlive its close() because of it (the registry holds open ones).
        self._resolved: weakref.ref[Dispatcher] | None = None

    def get(self) -> Dispatcher:
        """The dispatcher to use now; an explicit one is returned even when closed.

        Raises:
            NoBackendDetected / BackendNotFound: no default dispatcher can be found.

        """
        d = self._explicit
        if d is not None:
            return d
        ref = self._resolved
        d = None if ref is None else ref()
        if d is None or d.closed:
            d = get_dispatcher()
            self._resolved = weakref.ref(d)
        return d

    def peek(self) -> Dispatcher | None:
        """The dispatcher in use if there is an open one, without resolving a default."""
        d = self._explicit
        if d is None and self._resolved is not None:
            d = self._resolved()
        return None if d is None or d.closed else d
