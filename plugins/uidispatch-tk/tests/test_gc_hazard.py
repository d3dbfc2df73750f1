"""No reference cycle may keep a Tk root alive: a worker's collection would abort the process."""

from __future__ import annotations

from collections.abc import Callable

import pytest

SCRIPT = """
import gc, threading, tkinter
import uidispatch as ud
from uidispatch._core import _registry
from uidispatch_tk import TkBackend

gc.disable()  # collect only where this script says: on a worker thread
root = tkinter.Tk()
d = ud.get_dispatcher("tk", app=root) if {via_registry} else ud.Dispatcher(TkBackend(root))
out = []
producer = threading.Thread(target=lambda: [d.call_soon(out.append, i) for i in range(1000)])
producer.start()
producer.join()
assert d.run_until(lambda: len(out) == 1000, 10)
if {close_first}:
    d.close()
root.destroy()
assert d.closed
_registry.reset()  # the registry forgets closed dispatchers at its next binding anyway
del root, d, producer
collector = threading.Thread(target=gc.collect)
collector.start()
collector.join()
print("survived")
"""


@pytest.mark.parametrize("close_first", [False, True], ids=["destroy", "close-then-destroy"])
@pytest.mark.parametrize("via_registry", [True, False], ids=["get_dispatcher", "Dispatcher"])
def test_a_collection_on_a_worker_after_the_root_is_gone_does_not_abort(
    close_first: bool, via_registry: bool, run_script: Callable[[str, float], str]
) -> None:
    # Tcl aborts ("Tcl_AsyncDelete: async handler deleted by the wrong thread") when the
    # collector frees an interpreter on a worker thread. The dispatcher and its queue form
    # a cycle holding the backend, so the backend must not hold the root once it is gone.
    script = SCRIPT.format(close_first=close_first, via_registry=via_registry)
    assert run_script(script, 60).strip() == "survived"
