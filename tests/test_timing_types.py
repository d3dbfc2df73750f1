"""The decorators keep the wrapped signature for type checkers (checked by ``mypy --strict``).

Each case also runs, so the file stays honest; ``# type: ignore[...]`` lines are calls the
type checker must reject (``warn_unused_ignores`` fails if it stops rejecting them).
"""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING, Any

import uidispatch as ud
from uidispatch._timing._throttle import BoundRateLimited, RateLimited

if TYPE_CHECKING:
    from typing_extensions import assert_type
else:

    def assert_type(value: Any, typ: Any) -> Any:
        return value


Dispatcher = ud.Dispatcher


class Panel:
    def __init__(self) -> None:
        self.values: list[int] = []

    @ud.throttle(0.5)
    def refresh(self, value: int, *, force: bool = False) -> None:
        self.values.append(value)

    @ud.debounce(0.5, max_wait=1.0)
    def search(self, text: str, /) -> int:
        return len(text)

    @ud.main_thread
    def label(self, text: str) -> str:
        return text


def test_throttle_and_debounce_keep_the_parameters(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher

    @ud.throttle(0.5, dispatcher=d)
    def show(value: int, *, unit: str = "%") -> None:
        pass

    @ud.debounce(0.5, dispatcher=d)
    def search(text: str, /) -> None:  # positional-only, so the ParamSpec reads [str]
        pass

    assert_type(search, RateLimited[[str]])
    assert_type(show(1, unit="s"), None)
    show("1")  # type: ignore[arg-type]
    show(1, colour="red")  # type: ignore[call-arg]
    assert_type(show.pending, bool)
    show.cancel()
    show.flush()
    search("x")
    search(b"x")  # type: ignore[arg-type]


def test_methods_bind_and_drop_self(virtual_dispatcher: Dispatcher) -> None:
    ud.use(virtual_dispatcher)
    p = Panel()
    assert_type(Panel.search, RateLimited[[Panel, str]])
    assert_type(p.search, BoundRateLimited[[str]])
    p.refresh(1, force=True)
    p.refresh("1")  # type: ignore[arg-type]
    p.search("abc")
    p.search(3)  # type: ignore[arg-type]
    Panel.refresh(p, 2)
    assert_type(p.search.pending, bool)
    assert p.values == [1]


def test_main_thread_return_types(virtual_dispatcher: Dispatcher) -> None:
    d = virtual_dispatcher

    @ud.main_thread(dispatcher=d)
    def bare(x: int) -> str:
        return str(x)

    @ud.main_thread(wait=True, timeout=1.0, dispatcher=d)
    def waiting(x: int) -> str:
        return str(x)

    assert_type(bare(1), "str | concurrent.futures.Future[str]")
    assert_type(waiting(1), str)
    waiting("1")  # type: ignore[arg-type]
    ud.use(d)
    p = Panel()
    assert_type(p.label("x"), "str | concurrent.futures.Future[str]")
    assert waiting(2) == "2"
    assert bare(3) == "3"
    assert not isinstance(bare(3), concurrent.futures.Future)  # inline on the main thread
