"""The shared load suite on the real Tk loop (``uidispatch.testing.load``)."""

from __future__ import annotations

import pytest

import uidispatch as ud
from uidispatch.testing.load import LoadChecks


class TestTkLoad(LoadChecks):
    @pytest.fixture
    def dispatcher(self, tk_dispatcher: ud.Dispatcher) -> ud.Dispatcher:
        return tk_dispatcher
