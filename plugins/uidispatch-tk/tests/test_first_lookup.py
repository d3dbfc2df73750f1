"""The first get_dispatcher() raced by workers and the Tk thread: nobody waits on a lock."""

from __future__ import annotations

from collections.abc import Callable

SCRIPT = """
import threading, time, tkinter
import uidispatch as ud

WORKERS = 8
root = tkinter.Tk()
got, errors, tk_thread_got = [], [], []


def worker():
    try:
        got.append(ud.get_dispatcher())
    except Exception as exc:
        errors.append(repr(exc))


def race():  # on the Tk thread, inside mainloop()
    for _ in range(WORKERS):
        threading.Thread(target=worker, daemon=True).start()
    # Wait until a worker is building the backend: it then waits for this thread to set
    # it up, and this thread asks for the dispatcher too.
    deadline = time.monotonic() + 30
    while not any(t.name == "uidispatch-tk-setup" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "no worker started building a backend"
        time.sleep(0.001)
    tk_thread_got.append(ud.get_dispatcher())


def check():
    if len(got) + len(errors) == WORKERS and tk_thread_got:
        root.quit()
    else:
        root.tk.createtimerhandler(5, check)


root.tk.createtimerhandler(0, race)
root.tk.createtimerhandler(0, check)
root.tk.createtimerhandler(60_000, root.quit)
root.mainloop()
assert not errors, errors
assert len(got) == WORKERS and tk_thread_got, (len(got), tk_thread_got)
d = tk_thread_got[0]
assert all(g is d for g in got), "workers got another dispatcher than the Tk thread"
assert not d.closed and d.backend._root is root
assert ud.get_dispatcher() is d
# The backends built by the workers that lost the race were closed, not leaked: their
# setup helpers end. A helper still makes one Tk-thread round trip (deletecommand) after
# its call returned, so one update() may come before it: pump until they are gone.
deadline = time.monotonic() + 30
for helper in [t for t in threading.enumerate() if t.name == "uidispatch-tk-setup"]:
    while helper.is_alive():
        assert time.monotonic() < deadline, "a uidispatch-tk-setup thread never ended"
        root.update()
        helper.join(0.005)
root.destroy()
print("ok")
"""


def test_workers_and_the_tk_thread_racing_the_first_lookup_share_one_dispatcher(
    run_script: Callable[[str, float], str],
) -> None:
    # Before: a worker held the registry lock while its backend waited for the Tk thread,
    # which was blocked on that lock; the UI froze and the worker failed after 5 s with
    # "the Tk thread did not set it up within 5.0 s".
    assert run_script(SCRIPT, 120).strip() == "ok"
