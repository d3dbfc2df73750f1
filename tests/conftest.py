from __future__ import annotations

from collections.abc import Iterator

import pytest

from uidispatch import _plugins, _registry


@pytest.fixture(autouse=True)
def _fresh_defaults(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees another's use() default, cached binding or backend env var."""
    monkeypatch.delenv("UIDISPATCH_BACKEND", raising=False)
    monkeypatch.delenv("UIDISPATCH_WORKERS", raising=False)
    _registry.reset()
    yield
    _registry.reset()
    _plugins.reset_registry()
