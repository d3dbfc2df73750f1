"""Tk: an unread ``@main_thread`` exception is reported promptly on the Tk thread."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import gc, json, threading, tkinter
import uidispatch as ud
from uidispatch._core import _registry

gc.disable()  # the report must not need the cyclic collector
seen = []


def main():
    root = tkinter.Tk()
    d = ud.get_dispatcher("tk", app=root)
    d.error_handler = lambda exc, cb: seen.append([str(exc), threading.get_ident()])

    @ud.main_thread(dispatcher=d)
    def update_label(text):
        raise RuntimeError("label destroyed (" + text + ")")

    kept = []

    def worker():
        update_label("fire and forget")  # the Future is dropped at once
        future = update_label("held")
        kept.append(future)

    threading.Thread(target=worker).start()
    assert d.run_until(lambda: len(seen) == 1 and kept and kept[0].done(), 10)
    threading.Thread(target=kept.clear).start()  # dropped unread, on a worker
    assert d.run_until(lambda: len(seen) == 2, 10)
    root.destroy()
    return d.stats().errors


errors = main()
_registry.reset()
collector = threading.Thread(target=gc.collect)  # no cycle may hold the root now
collector.start()
collector.join()
print(json.dumps({"seen": seen, "main": threading.get_ident(), "errors": errors}))
"""


def test_unread_exceptions_reach_the_handler_on_the_tk_thread_without_the_collector() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    assert [text for text, _ in out["seen"]] == [
        "label destroyed (fire and forget)",
        "label destroyed (held)",
    ]
    assert {thread for _, thread in out["seen"]} == {out["main"]}
    assert out["errors"] == 2
