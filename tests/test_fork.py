"""After ``os.fork()`` the child's pools work and the parent's dispatchers refuse.

The fork happens in a script run as a child process: this test process has threads of
its own, and a hang must fail by the timeout. The script forks while its pool has busy
workers, queued tasks and a running background loop, and while another thread holds the
pool's and the registry's locks, then reports what the grandchild saw.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX only")

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, sys, threading, time
    import uidispatch as ud

    def gen(n):
        for i in range(n):
            yield i
        return n

    async def coro(x):
        await asyncio.sleep(0.001)
        return x

    def first(fn, out, key):
        try:
            out[key] = fn()
        except BaseException as exc:
            out[key] = "raised " + type(exc).__name__ + ": " + str(exc)

    pool = ud.Pool(max_workers=4)
    gate = threading.Event()
    assert pool.submit(coro, 0).result(10) == 0  # the background loop thread runs
    running = [pool.submit(gate.wait, 60) for _ in range(4)]  # every worker busy
    queued = pool.submit(pow, 3, 3)  # waits for a free worker
    while pool.stats().running < 4:
        time.sleep(0.001)
    assert ud.submit(sum, [1]).result(10) == 1  # the default pool has a worker
    loop = asyncio.new_event_loop()
    parent_d = ud.get_dispatcher("asyncio", app=loop)
    parent_workers = pool.stats().workers

    # A worker handed an object of the parent's over to the parent's main thread.
    import weakref
    from uidispatch._core import _release

    class Thing:
        pass

    box = [Thing()]
    handed = weakref.ref(box[0])
    handing = threading.Thread(target=_release.hand_over, args=(box,))
    handing.start()
    handing.join()
    assert handed() is not None

    # Another thread holds the pool's, the registry's and the dispatcher queue's locks
    # across the fork: in the child they are held forever, so the hook must replace them
    # or not need them.
    from uidispatch._core import _registry
    holding, release_locks = threading.Event(), threading.Event()

    def hold():
        with pool._sched.lock, _registry._lock, parent_d._q._lock:
            holding.set()
            release_locks.wait(60)

    threading.Thread(target=hold, daemon=True).start()
    assert holding.wait(10)

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        out = {}
        first(lambda: pool.submit(pow, 2, 10).result(10), out, "pool")
        first(lambda: pool.submit(coro, 7).result(10), out, "coroutine")
        first(lambda: pool.submit(gen, 3).result(10), out, "generator")
        first(lambda: ud.submit(sum, [3, 4]).result(10), out, "default")
        first(lambda: running[0].result(10), out, "inherited_running")
        first(lambda: queued.result(10), out, "inherited_queued")
        out["inherited_stopped"] = running[0].wait_stopped(10)
        first(lambda: parent_d.call_soon(print, "never"), out, "call_soon")
        first(lambda: parent_d.call(print), out, "call")
        first(lambda: parent_d.call_later(1, print), out, "call_later")
        out["parent_d_closed"] = parent_d.closed

        async def fresh():
            d = ud.get_dispatcher()
            answer = await asyncio.to_thread(d.call, lambda: "child loop")
            return d is not parent_d, answer

        first(lambda: list(asyncio.run(fresh())), out, "fresh")
        _release.release_parked()
        out["handed_over_kept"] = handed() is not None  # the parent's: never freed here
        stats = pool.stats()
        out["stats"] = [stats.workers, stats.running, stats.queued]
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    release_locks.set()
    os.close(w)
    _, status = os.waitpid(pid, 0)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    gate.set()
    parent = {
        "status": status,
        "running": [t.result(10) for t in running],
        "queued": queued.result(10),
        "workers": parent_workers,
        "after": pool.submit(pow, 2, 3).result(10),
        "d_open": not parent_d.closed,
    }
    loop.close()
    parent["closed_with_its_loop"] = parent_d.closed
    _release.release_parked()
    parent["handed_over_released"] = handed() is None
    print(json.dumps({"child": json.loads(data), "parent": parent}))
    """
)


@pytest.fixture(scope="module")
def forked() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == "", out.stderr
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    assert result["parent"]["status"] == 0, result
    return result


def test_a_pool_created_before_the_fork_runs_work_in_the_child(forked: dict[str, Any]) -> None:
    child = forked["child"]
    assert child["pool"] == 1024
    assert child["coroutine"] == 7  # a fresh background loop thread
    assert child["generator"] == 3
    assert child["default"] == 7  # ud.submit: the default pool too


def test_the_childs_pool_counts_only_its_own_threads(forked: dict[str, Any]) -> None:
    workers, running, queued = forked["child"]["stats"]
    assert forked["parent"]["workers"] == 4
    assert running == 0
    assert queued == 0
    assert 1 <= workers <= 4  # the ones the child started, idle now, not the parent's 4


def test_tasks_inherited_from_the_parent_fail_in_the_child_naming_the_fork(
    forked: dict[str, Any],
) -> None:
    for key in ("inherited_running", "inherited_queued"):
        message = forked["child"][key]
        assert message.startswith("raised RuntimeError: "), message
        assert "when it called os.fork()" in message
        assert "runs there, not in this child" in message
    assert forked["child"]["inherited_stopped"] is True  # wait_stopped() does not hang


def test_a_dispatcher_created_before_the_fork_refuses_posts_naming_the_fork(
    forked: dict[str, Any],
) -> None:
    child = forked["child"]
    assert child["parent_d_closed"] is True
    for key in ("call_soon", "call", "call_later"):
        message = child[key]
        assert message.startswith("raised DispatcherClosed: "), message
        assert "created before os.fork()" in message
        assert "call uidispatch.get_dispatcher() in this process" in message


def test_get_dispatcher_in_the_child_binds_a_fresh_dispatcher(forked: dict[str, Any]) -> None:
    assert forked["child"]["fresh"] == [True, "child loop"]


def test_the_parent_is_untouched_by_the_fork(forked: dict[str, Any]) -> None:
    parent = forked["parent"]
    assert parent["running"] == [True, True, True, True]
    assert parent["queued"] == 27
    assert parent["after"] == 8
    assert parent["d_open"] is True
    assert parent["closed_with_its_loop"] is True


def test_what_the_parents_threads_handed_over_is_never_freed_in_the_child(
    forked: dict[str, Any],
) -> None:
    # The parent's windows: freeing them in the child (a Tk interpreter after a fork) is
    # the parent's business, not the child's; the parent's own main thread still frees it.
    assert forked["child"]["handed_over_kept"] is True
    assert forked["parent"]["handed_over_released"] is True
