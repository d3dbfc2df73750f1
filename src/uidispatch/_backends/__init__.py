"""Built-in backends, registered through the same hook as third-party plugins."""

from __future__ import annotations

from ..hookspecs import BackendSpec, hookimpl
from . import _asyncio, _virtual

__all__ = ["uidispatch_backends"]


@hookimpl
def uidispatch_backends() -> list[BackendSpec]:
    """The ``asyncio`` and ``virtual`` backends."""
    return [_asyncio.SPEC, _virtual.SPEC]
