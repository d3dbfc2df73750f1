"""run_command: output lines streamed to the UI, and no process left behind, ever."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest

import uidispatch as ud
from uidispatch._work._subprocess import CommandResult, run_command

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")

WAIT = 10.0
PY = sys.executable


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=4, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True, cancel_pending=True)


def gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (a zombie of a process we do not own counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):  # reaped between open() and read()
        return True


def wait_gone(pid: int, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def reaped(pid: int) -> bool:
    """True when our own child ``pid`` was reaped (no zombie left)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def script(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def test_output_lines_stream_as_progress_and_on_output_and_the_result_holds_all(
    pool: ud.Pool, virtual_dispatcher: ud.Dispatcher
) -> None:
    progress: list[tuple[object, object]] = []
    batches: list[list[tuple[str, str]]] = []
    main = threading.current_thread()
    threads: set[bool] = set()

    def on_output(lines: list[tuple[str, str]]) -> None:
        threads.add(threading.current_thread() is main)
        batches.append(lines)

    task = pool.run_command(
        script(
            """
            import sys
            for i in range(200):
                print(f"line {i}")
            print("oops", file=sys.stderr)
            sys.stdout.write("no newline at end")
            """
        ),
        on_progress=lambda v, m: progress.append((v, m)),
        on_output=on_output,
    )
    result = task.result(WAIT)
    assert isinstance(result, CommandResult)
    assert result.returncode == 0
    assert result.stdout.splitlines()[:2] == ["line 0", "line 1"]
    assert result.stdout.endswith("line 199\nno newline at end")
    assert result.stderr == "oops\n"
    assert virtual_dispatcher.run_until(
        lambda: sum(len(b) for b in batches) == 202 and progress, WAIT
    )
    lines = [line for batch in batches for line in batch]
    assert [line for line, stream in lines if stream == "stdout"] == [
        *(f"line {i}" for i in range(200)),
        "no newline at end",
    ]
    assert ("oops", "stderr") in lines
    assert len(batches) < 202
    assert threads == {True}
    assert len(progress) < 202  # coalesced: a status line, not a log
    assert progress[-1] in {("no newline at end", "stdout"), ("oops", "stderr")}


def test_merge_stderr_interleaves_into_stdout(pool: ud.Pool) -> None:
    result = pool.run_command(
        script("import sys; print('a', flush=True); print('b', file=sys.stderr)"),
        merge_stderr=True,
    ).result(WAIT)
    assert result.stdout.splitlines() == ["a", "b"]
    assert result.stderr == ""


def test_non_zero_exit_fails_with_called_process_error_unless_check_false(
    pool: ud.Pool,
) -> None:
    failing = script("import sys; print('bad'); sys.exit(3)")
    with pytest.raises(subprocess.CalledProcessError) as info:
        pool.run_command(failing).result(WAIT)
    assert info.value.returncode == 3
    assert info.value.output == "bad\n"
    assert pool.run_command(failing, check=False).result(WAIT).returncode == 3


def test_cancel_terminates_the_whole_process_tree_and_reaps_it(pool: ud.Pool) -> None:
    task = pool.run_command(["sh", "-c", "sleep 60 & echo $$ $!; wait"])
    # The pids arrive as the first line; read them from the task's own progress record.
    deadline = time.monotonic() + WAIT
    while task.progress is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    shell, child = (int(p) for p in str(task.progress[0]).split())
    t0 = time.monotonic()
    assert task.cancel()
    assert wait_gone(child)
    assert wait_gone(shell)
    pool.shutdown(wait=True)
    assert reaped(shell)
    assert time.monotonic() - t0 < 5


def test_a_command_ignoring_sigterm_is_killed_after_kill_after(pool: ud.Pool) -> None:
    task = pool.run_command(
        script(
            """
            import os, signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print(os.getpid(), flush=True)
            time.sleep(60)
            """
        ),
        kill_after=0.2,
    )
    deadline = time.monotonic() + WAIT
    while task.progress is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    pid = int(str(task.progress[0]))
    task.cancel()
    t0 = time.monotonic()
    assert wait_gone(pid)
    assert 0.1 <= time.monotonic() - t0 < 5
    pool.shutdown(wait=True)
    assert reaped(pid)


def test_timeout_fails_with_task_timeout_and_stops_the_command(pool: ud.Pool) -> None:
    task = pool.run_command(["sleep", "60"], timeout=0.1)
    with pytest.raises(ud.TaskTimeout):
        task.result(WAIT)
    t0 = time.monotonic()
    pool.shutdown(wait=True)  # the worker let go at once: the process is gone
    assert time.monotonic() - t0 < 5


def test_what_a_finished_command_left_running_in_its_group_is_killed(pool: ud.Pool) -> None:
    result = pool.run_command(["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"]).result(WAIT)
    leftover = int(result.stdout.strip())
    assert wait_gone(leftover)


def test_a_leftover_holding_the_pipes_does_not_hang_the_task(pool: ud.Pool) -> None:
    t0 = time.monotonic()
    result = pool.run_command(["sh", "-c", "sleep 60 & echo started"], kill_after=0.2).result(WAIT)
    assert result.stdout == "started\n"
    assert time.monotonic() - t0 < 5


def test_bad_arguments_fail_at_the_call_site(pool: ud.Pool) -> None:
    with pytest.raises(TypeError, match="got the string 'git status' \\(split it with shlex"):
        pool.run_command("git status")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="argv must be a non-empty sequence"):
        pool.run_command([])
    with pytest.raises(ValueError, match="encoding must be a known codec, got 'klingon'"):
        pool.run_command(["true"], encoding="klingon")
    with pytest.raises(ValueError, match="kill_after must be a finite number"):
        pool.run_command(["true"], kill_after=-1)
    with pytest.raises(TypeError, match="on_output must be callable"):
        pool.run_command(["true"], on_output=5)  # type: ignore[arg-type]


def test_run_command_options_reach_submit_and_popen(pool: ud.Pool, tmp_path: object) -> None:
    task = pool.run_command(
        script("import os; print(os.getcwd()); print(os.environ['UD_TEST'])"),
        cwd=str(tmp_path),
        env={**os.environ, "UD_TEST": "yes"},
        key="probe",
        ttl=60,
    )
    assert task.result(WAIT).stdout.splitlines() == [str(tmp_path), "yes"]
    assert pool.run_command(["false"], key="probe", ttl=60) is task  # cached by key


def test_run_command_defaults_to_the_default_pool(virtual_dispatcher: ud.Dispatcher) -> None:
    ud.use(virtual_dispatcher)
    assert run_command(["echo", "hi"]).result(WAIT).stdout == "hi\n"


def test_interpreter_exit_stops_running_commands() -> None:
    code = textwrap.dedent(
        f"""
        import time
        import uidispatch as ud
        from uidispatch._work._subprocess import run_command
        pool = ud.Pool(max_workers=1)
        child = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
        task = run_command([{PY!r}, "-c", child], pool=pool)
        while task.progress is None:
            time.sleep(0.01)
        print(task.progress[0], flush=True)
        """
    )
    t0 = time.monotonic()
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    child = int(proc.stdout.strip())
    assert wait_gone(child)
    assert time.monotonic() - t0 < 20
