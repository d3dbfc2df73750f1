"""The ``uidispatch`` command line: ``doctor``, ``bench`` and ``demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TypeAlias

__all__ = ["main"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uidispatch", description="uidispatch: check, measure and try the library."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_doctor(sub)
    _add_bench(sub)
    _add_demo(sub)
    return parser


_Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_doctor(sub: _Subparsers) -> None:
    doctor = sub.add_parser(
        "doctor", help="installed backends, failed plugins, what detection picks"
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")


def _add_bench(sub: _Subparsers) -> None:
    bench = sub.add_parser(
        "bench",
        help="measure each backend against its toolkit's own primitives",
        description=(
            "Run each backend's benchmark in fresh processes and compare uidispatch with the "
            "toolkit's naive primitive, the best existing helper and a pure-Python floor. "
            "Progress goes to stderr."
        ),
    )
    bench.add_argument(
        "--backend",
        action="append",
        metavar="NAME",
        help="a backend to measure (repeat or comma-separate; default: every usable one)",
    )
    bench.add_argument("--json", action="store_true", help="print the merged report as JSON")
    bench.add_argument("--quick", action="store_true", help="small counts (a smoke test)")
    bench.add_argument(
        "--repeat",
        type=_positive_int,
        metavar="N",
        help="fresh processes per backend, fields are medians (default 3, 1 with --quick)",
    )
    bench.add_argument(
        "--plot",
        metavar="DIR",
        help="also write SVG charts into DIR (needs matplotlib: pip install 'uidispatch[bench]')",
    )
    bench.add_argument(
        "--from",
        dest="from_json",
        metavar="JSON",
        help="do not run: read a report saved with --json (use with --plot or alone)",
    )
    bench.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="per process (default 900, 300 with --quick)",
    )


def _add_demo(sub: _Subparsers) -> None:
    demo = sub.add_parser(
        "demo",
        help="a small app showing the library at work",
        description=(
            "Background tasks with progress and cancel, a debounced search, a 100,000-call "
            "flood while an animation runs, live dispatch stats, a stall indicator and "
            "async/await on the UI thread (uidispatch.aio: a socket echo, a countdown)."
        ),
    )
    demo.add_argument("--backend", default="tk", metavar="NAME", help="toolkit (default: tk)")
    demo.add_argument(
        "--selftest",
        type=_positive_float,
        metavar="SECONDS",
        help="drive the demo by script for about SECONDS, check what happened, exit 0/1",
    )
    demo.add_argument(
        "--screenshot",
        metavar="PNG",
        help="with --selftest: capture the window into PNG before exiting (needs ImageMagick)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from ._doctor import run_doctor

        return run_doctor(sys.stdout, as_json=args.json)
    if args.command == "bench":
        from ._bench import run_bench_cli

        return run_bench_cli(
            sys.stdout,
            sys.stderr,
            names=args.backend,
            as_json=args.json,
            quick=args.quick,
            repeat=args.repeat,
            timeout=args.timeout,
            plot=args.plot,
            from_json=args.from_json,
        )
    if args.command == "demo":
        if args.screenshot and args.selftest is None:
            parser.error("--screenshot needs --selftest SECONDS")
        from ._demo import run_demo

        return run_demo(args.backend, selftest=args.selftest, screenshot=args.screenshot)
    raise AssertionError(args.command)  # pragma: no cover - argparse rejects unknown commands
