"""Qt resources released at close(): no callback, argument or dispatcher kept.

A stopped ``QTimer`` kept its connection, and with it the callback and its arguments,
until the application was destroyed; ``close()`` now releases them.
"""

from __future__ import annotations

import functools
import gc
import threading
import weakref
from typing import Any

from uidispatch_qt._backend import QtBackend
from uidispatch_qt._binding import QtCore

import uidispatch as ud
from uidispatch.testing.resources import Thing, check_close_releases

QCoreApplication = QtCore.QCoreApplication
# A Python enum's value on PySide6 and PyQt6, an int already on PyQt5 and PySide2.
_DELETE = QtCore.QEvent.Type.DeferredDelete
DEFERRED_DELETE = int(getattr(_DELETE, "value", _DELETE))


def _pump() -> None:
    QCoreApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, DEFERRED_DELETE)


def test_close_releases_every_callback_argument_owner_and_the_dispatcher(qapp: Any) -> None:
    check_close_releases(lambda: ud.get_dispatcher("qt", app=qapp), _pump)


def test_close_from_a_worker_releases_pending_timer_callbacks_at_once(qapp: Any) -> None:
    b = QtBackend(qapp)
    callback, arg = Thing("callback"), Thing("argument")
    refs = [weakref.ref(callback), weakref.ref(arg)]
    b.call_later(3600.0, functools.partial(callback, arg))
    del callback, arg
    closer = threading.Thread(target=b.close)
    closer.start()
    closer.join()
    gc.collect()
    assert [r() for r in refs] == [None, None]  # before the GUI thread ran at all
    _pump()
