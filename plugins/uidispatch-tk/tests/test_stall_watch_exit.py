"""A stall watch whose callback names a widget: the app exits cleanly after its window closed."""

from __future__ import annotations

from collections.abc import Callable

SCRIPT = """
import gc, threading, tkinter
import uidispatch as ud

def main():
    root = tkinter.Tk()
    label = tkinter.Label(root)
    label.pack()
    d = ud.get_dispatcher("tk", app=root)
    d.watch_stalls(0.5, on_stall=lambda info: label.config(text=str(info)), interval=0.5)
    root.after(100, root.destroy)
    root.mainloop()

main()  # its frame held the last references to the root and the label, on this thread
gc.collect()
for t in threading.enumerate():
    if t.name.startswith("uidispatch-stall-watch"):
        t.join(10)  # it notices the closed dispatcher within an interval, then ends
        assert not t.is_alive()
print("exited cleanly")
"""


def test_an_app_with_a_stall_watch_on_a_widget_exits_cleanly_after_its_window_closed(
    run_script: Callable[[str, float], str],
) -> None:
    # The watch's thread outlives the window: when it ended holding the callback's last
    # reference, the label's Tk interpreter was freed on that thread and Tcl aborted the
    # process ("Tcl_AsyncDelete: async handler deleted by the wrong thread"), 3 runs in 3.
    assert run_script(SCRIPT, 60).strip() == "exited cleanly"
