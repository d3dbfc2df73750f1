"""The ``uidispatch`` command line: ``doctor``, ``bench`` and ``demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uidispatch", description="uidispatch: check, measure and try the library."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    doctor = sub.add_parser(
        "doctor", help="installed backends, failed plugins, what detection picks"
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "doctor":
        from ._doctor import run_doctor

        return run_doctor(sys.stdout, as_json=args.json)
    raise AssertionError(args.command)  # pragma: no cover - argparse rejects unknown commands
