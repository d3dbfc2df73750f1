"""Readable names: tasks, operations and commands as pool.report() and the stats show them."""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Iterator

import pytest

import uidispatch as ud

WAIT = 10.0


@pytest.fixture
def pool(virtual_dispatcher: ud.Dispatcher) -> Iterator[ud.Pool]:
    p = ud.Pool(max_workers=2, dispatcher=virtual_dispatcher)
    yield p
    p.shutdown(wait=True)


def _line() -> int:
    frame = inspect.currentframe()
    assert frame is not None
    assert frame.f_back is not None
    return frame.f_back.f_lineno


def test_a_lambda_is_named_for_where_it_is_written(pool: ud.Pool) -> None:
    line = _line() + 1
    task = pool.submit(lambda: 1)
    assert task.name == f"<lambda> at test_operation_names.py:{line}"
    line = _line() + 2
    spread = pool.submit(
        lambda: (  # its first line names it
            2
        )
    )
    assert spread.name == f"<lambda> at test_operation_names.py:{line}"
    assert task.result(WAIT) == 1
    assert spread.result(WAIT) == 2
    assert f"<lambda> at test_operation_names.py:{line}" in pool.report()


def test_a_function_keeps_its_qualified_name_and_name_wins(pool: ud.Pool) -> None:
    def fetch_rows() -> list[int]:
        return []

    assert pool.submit(fetch_rows).name.endswith("<locals>.fetch_rows")
    assert pool.submit(fetch_rows, name="rows").name == "rows"
    assert pool.submit(len, "abc").name == "len"


def test_an_operation_of_a_lambda_is_named_for_where_it_is_written(pool: ud.Pool) -> None:
    line = _line() + 1
    double = pool.operation()(lambda n: n * 2)
    assert double.submit(2).result(WAIT) == 4
    assert double.stats.name == f"<lambda> at test_operation_names.py:{line}"
    named = pool.operation(name="double")(lambda n: n * 2)
    assert named.submit(3).name == "double"


def test_a_command_is_named_for_its_program_not_its_path(pool: ud.Pool) -> None:
    task = pool.run_command([sys.executable, "-c", "pass"])
    assert task.name == os.path.basename(sys.executable)
    assert task.result(WAIT).returncode == 0
    assert pool.stats().operations[task.name].succeeded == 1
