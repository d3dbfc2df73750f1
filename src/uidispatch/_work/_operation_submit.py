"""What every operation offers, a function's or one instance's: ``submit`` and its state.

``submit`` is typed from the decorated function: ``search.submit(text)`` is a
``Task[list[str]]`` for ``def search(text: str) -> list[str]``, and a wrong argument is a
type error. A ``ParamSpec`` cannot type it: a signature may not put keyword options
between ``*args: P.args`` and ``**kwargs: P.kwargs`` ("Arguments not allowed after
ParamSpec.args"), and a ``TypeVarTuple`` read from a function loses its defaults and
refuses its keyword-only parameters. So the overloads below match the function's type
against one arity at a time (the type checker picks the one the call fits, defaults and
keyword-only parameters included), each kind of function unwrapped as ``Pool.submit``
unwraps it: a coroutine's or a generator's return value is the result. Calls with five
or more arguments are checked for their options only.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .._core._options import CALLBACK_WAY_OUT, check_callback
from .._services._opstats import OperationStats
from ._operation_policy import PER_CALL, refuse_options

if TYPE_CHECKING:
    import warnings
    from typing import TypedDict

    from typing_extensions import Unpack

    from ._busy import BusyHandle
    from ._operation_scope import OperationScope
    from ._pool import Pool
    from ._task import Task

    R_ = TypeVar("R_")

    class PerCall(TypedDict, Generic[R_], total=False):
        """The options one call of ``operation.submit`` takes (see ``Pool.submit``)."""

        on_done: Callable[[R_], object] | None
        on_error: Callable[[BaseException], object] | None
        on_progress: Callable[[Any, str | None], object] | None
        owner: object | None
        metadata: Mapping[str, Any] | None
        on_item: Callable[[Any], object] | None
        max_buffered: int | None
        on_start: Callable[[], object] | None
        on_finish: Callable[[Task[R_]], object] | None
        on_warning: Callable[[warnings.WarningMessage], object] | None


__all__ = ["OperationBase"]

F = TypeVar("F", bound=Callable[..., Any], covariant=True)
R = TypeVar("R")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
_Co = Coroutine[Any, Any, R]
_Gen = Generator[Any, Any, R]
_PER_CALL = frozenset(PER_CALL)


class OperationBase(Generic[F]):
    """What an operation and one instance's operation both offer: ``submit`` and its state.

    ``busy``, ``on_busy``, ``last``, ``last_succeeded``, ``count``, ``cancel_all`` and
    ``stats`` describe the calls of this operation only.
    """

    _scope: OperationScope
    _name: str

    if TYPE_CHECKING:
        __call__: F  # a plain call of the function, typed as the function

    def _pool(self) -> Pool:
        raise NotImplementedError

    def _submit(self, args: tuple[Any, ...], per_call: dict[str, Any]) -> Task[Any]:
        raise NotImplementedError

    # fmt: off
    @overload
    def submit(self: OperationBase[Callable[[], _Co[R]]], /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[], _Gen[R]]], /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[], R]], /, **o: Unpack[PerCall[R]]) -> Task[R]: ...
    @overload
    def submit(self: OperationBase[Callable[[A], _Co[R]]], a: A, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A], _Gen[R]]], a: A, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A], R]], a: A, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A, B], _Co[R]]], a: A, b: B, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A, B], _Gen[R]]], a: A, b: B, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A, B], R]], a: A, b: B, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A, B, C], _Co[R]]], a: A, b: B, c: C, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A, B, C], _Gen[R]]], a: A, b: B, c: C, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A, B, C], R]], a: A, b: B, c: C, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A, B, C, D], _Co[R]]], a: A, b: B, c: C, d: D, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A, B, C, D], _Gen[R]]], a: A, b: B, c: C, d: D, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self: OperationBase[Callable[[A, B, C, D], R]], a: A, b: B, c: C, d: D, /, **o: Unpack[PerCall[R]]) -> Task[R]: ...  # noqa: E501
    @overload
    def submit(self, a: Any, b: Any, c: Any, d: Any, e: Any, /, *args: Any, **o: Unpack[PerCall[Any]]) -> Task[Any]: ...  # noqa: E501
    # fmt: on

    def submit(self, *args: Any, **options: Any) -> Task[Any]:
        """Run the function with ``args`` on the pool under the operation's policies.

        Returns its :class:`~uidispatch.Task` at once (for ``if_running="join"`` or
        ``"drop"``, maybe the one already under way). Keyword arguments are the call's
        own options of :meth:`Pool.submit <uidispatch.Pool.submit>`: ``on_done``,
        ``on_error``, ``on_progress``, ``on_start``, ``on_finish``, ``on_warning``,
        ``owner``, ``metadata``, ``on_item`` and ``max_buffered``; positional
        arguments go to the function (extra ones a signal passes are dropped, as a
        signal drops them for a plain slot). Any thread.

        Raises:
            TypeError: a policy fixed by the decorator (``if_running=``, ``retries=``,
                ...) or an unknown keyword (named); ``key=``'s function returned an
                unhashable value; or as :meth:`Pool.submit <uidispatch.Pool.submit>`.
            ValueError: as :meth:`Pool.submit <uidispatch.Pool.submit>`.
            ReferenceError: a method's instance was collected.
            RuntimeError: its pool was shut down (``ud.operation``'s default pool is
                made anew instead).

        """
        if not _PER_CALL.issuperset(options):
            given = {k: v for k, v in options.items() if k not in _PER_CALL}
            raise refuse_options(f"{self._name}.submit", given)
        return self._submit(args, options)

    # ------------------------------------------------------------------ state

    @property
    def busy(self) -> bool:
        """True from a ``submit`` until that task's callbacks have run. Any thread.

        Only this operation's tasks count (for a method: this instance's), never the
        pool's other work.
        """
        return self._scope.busy.busy()

    def on_busy(
        self, callback: Callable[[bool], object], owner: object | None = None
    ) -> BusyHandle:
        """Call ``callback(busy)`` on the main thread now and whenever :attr:`busy` changes.

        As :meth:`Pool.on_busy <uidispatch.Pool.on_busy>` does, for this operation's
        tasks only: never the same value twice in a row; ``owner`` (held weakly) ends the
        watch when it is gone; ``handle.cancel()`` ends it. Any thread. A button disabled
        while it syncs: ``sync.on_busy(lambda b: button.config(state=...), owner=button)``.

        Raises:
            TypeError: ``callback`` is not a plain callable or ``owner`` cannot be weakly
                referenced.
            NoBackendDetected: no dispatcher can be found for the callbacks.

        """
        check_callback("callback", callback, CALLBACK_WAY_OUT)
        return self._scope.busy.watch(self._pool()._get_dispatcher(), callback, None, owner)

    @property
    def last(self) -> Task[Any] | None:
        """The task the latest :meth:`submit` returned, or ``None`` before the first."""
        return self._scope.last

    @property
    def last_succeeded(self) -> Task[Any] | None:
        """The latest task to end ``DONE`` (in the order they ended), or ``None``."""
        return self._scope.last_succeeded

    @property
    def count(self) -> int:
        """How many :meth:`submit` calls returned a task (joined and dropped ones too)."""
        return self._scope.count

    def cancel_all(self) -> None:
        """Cancel every pending and running task of this operation. Any thread.

        Cooperatively, as :meth:`Task.cancel <uidispatch.Task.cancel>` does; the pool's
        other work is left alone.
        """
        for task in self._scope.tasks():
            task.cancel()

    @property
    def stats(self) -> OperationStats:
        """Its row of ``pool.stats().operations``: the pool's figures for its name.

        For a method, the instances share their name, and so this row.
        """
        found = self._pool().stats().operations.get(self._name)
        if found is not None:
            return found
        return OperationStats(self._name, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, None)
