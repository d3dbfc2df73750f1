"""The shared load suite on the real Qt loop (``uidispatch.testing.load``)."""

from __future__ import annotations

import pytest

import uidispatch as ud
from uidispatch.testing.load import LoadChecks


class TestQtLoad(LoadChecks):
    @pytest.fixture
    def dispatcher(self, qt_dispatcher: ud.Dispatcher) -> ud.Dispatcher:
        return qt_dispatcher
