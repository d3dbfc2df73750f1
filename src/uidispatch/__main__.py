"""``python -m uidispatch``: doctor, bench and demo."""

from __future__ import annotations

import sys

from ._tools._cli import main

if __name__ == "__main__":
    sys.exit(main())
