"""The shared load suite on the real Kivy loop (``uidispatch.testing.load``)."""

from __future__ import annotations

from uidispatch.testing.load import LoadChecks


class TestKivyLoad(LoadChecks):
    """Uses this plugin's ``dispatcher`` fixture (conftest.py)."""
