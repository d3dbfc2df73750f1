"""``operation.submit`` is typed from the function: mypy --strict reads results and checks args.

Each case is a small module handed to mypy (``nox -s typecheck`` runs this file): the good
one must pass, and each line of the bad one marked ``# error: CODE`` must be reported with
that error code, and nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GOOD = """
from __future__ import annotations

from collections.abc import Generator

from typing_extensions import assert_type

import uidispatch as ud

pool = ud.Pool()


@pool.operation(if_running="restart", retries=2, attempt_timeout=5.0)
def search(text: str, limit: int = 10) -> list[str]:
    return [text] * limit


@ud.operation(key=lambda url: url)
async def fetch(url: str) -> bytes:
    return url.encode()


@pool.operation()
def scan(folder: str, *, deep: bool = False) -> Generator[float, None, int]:
    yield 0.5
    return 3


class Window:
    @pool.operation(if_running="drop")
    def load(self, path: str) -> dict[str, int]:
        return {path: 1}


def show(found: list[str]) -> None:
    print(found)


assert_type(search.submit("apple", on_done=show), ud.Task[list[str]])
assert_type(search.submit("apple", 3), ud.Task[list[str]])  # a default may be passed
assert_type(search("apple"), list[str])  # a plain call
assert_type(fetch.submit("/users"), ud.Task[bytes])  # a coroutine's result
assert_type(scan.submit("/tmp"), ud.Task[int])  # a generator's return value
window = Window()
assert_type(window.load.submit("a.txt", owner=window), ud.Task[dict[str, int]])
assert_type(window.load("a.txt"), dict[str, int])
assert_type(search.busy, bool)
assert_type(search.count, int)
search.on_busy(lambda busy: print(busy), owner=window)
search.cancel_all()
print(search.stats.p95_s, search.last, search.last_succeeded)
"""

BAD = """
from __future__ import annotations

import uidispatch as ud

pool = ud.Pool()


@pool.operation(if_running="restart")
def search(text: str) -> list[str]:
    return [text]


class Window:
    @pool.operation()
    def load(self, path: str) -> int:
        return 1


search.submit(42)  # error: call-overload
search.submit("apple", if_running="drop")  # error: call-overload
search.submit("apple", on_done=lambda found: found.upper())  # error: attr-defined
search(b"apple")  # error: arg-type
Window().load.submit(3)  # error: call-overload
"""


def test_submit_is_typed_from_the_function_and_wrong_arguments_fail(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    cache = Path(__file__).resolve().parent.parent / ".mypy_cache"
    out, err, _ = api.run(["--strict", "--cache-dir", str(cache), str(good), str(bad)])
    errors = re.findall(r"^(\S+?):(\d+): error: .*\[([\w-]+)\]$", out, re.M)
    assert [e for e in errors if e[0].endswith("good.py")] == [], out + err
    expected = [
        (number, code)
        for number, line in enumerate(BAD.splitlines(), 1)
        for code in re.findall(r"# error: ([\w-]+)", line)
    ]
    found = [(int(number), code) for path, number, code in errors if path.endswith("bad.py")]
    assert sorted(set(found)) == expected, out + err
    assert len(expected) == 5
