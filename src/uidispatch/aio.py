"""async/await on the UI thread of every toolkit.

An asyncio (or trio) loop runs as a *guest* of the toolkit's own loop: its steps are
posted through the dispatcher and run on the UI thread, and its blocking wait for I/O
runs in one helper thread. Coroutines touch widgets directly, and the toolkit keeps its
own main loop (``root.mainloop()``, ``app.exec()``)::

    from uidispatch import aio

    async def main() -> str:
        label["text"] = "loading..."
        data = await ud.submit(load)           # a worker thread; resumes on the UI thread
        await asyncio.sleep(0.5)               # a real, running asyncio loop
        label["text"] = data
        return data

    value = aio.run_app(main)                  # or: run = aio.start(main); root.mainloop()

- :func:`start` starts ``main`` on the UI thread and returns a :class:`Run`;
- :func:`run_app` starts it, runs the toolkit's main loop, and returns ``main``'s value
  (closing the window cancels ``main``; the window closes once ``main`` finished);
- :func:`handler` turns an ``async def`` into a plain callback for widgets;
- :func:`modal` awaits a blocking modal dialog while other coroutines keep running.

``lib="trio"`` runs trio's guest mode instead (``pip install uidispatch[trio]``). The
asyncio guest needs CPython 3.10 to 3.13 and a selector loop (not Windows' proactor).
"""

from __future__ import annotations

from ._addons._aio_app import run_app
from ._addons._aio_run import Run
from ._addons._aio_start import LIBS, handler, modal, start

__all__ = ["LIBS", "Run", "handler", "modal", "run_app", "start"]

Run.__module__ = __name__
for _fn in (handler, modal, run_app, start):
    _fn.__module__ = __name__
del _fn
