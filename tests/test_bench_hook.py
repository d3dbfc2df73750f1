"""``python -m uidispatch bench --backend NAME`` for a third-party backend, through its hook.

The backend names its benchmark module in ``BackendSpec.bench_module``; the module is
built on ``uidispatch.backendkit.bench`` and measures uidispatch against the toolkit's
naive primitive (here an asyncio loop's ``call_soon_threadsafe``).
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from uidispatch._core import _plugins
from uidispatch._tools import _bench
from uidispatch._tools._cli import main

PLUGIN = """
from uidispatch.hookspecs import BackendSpec, hookimpl
from uidispatch._backends._asyncio import AsyncioBackend

@hookimpl
def uidispatch_backends():
    return [BackendSpec(name="thirdparty", create=lambda app: AsyncioBackend(app),
                        requires=("asyncio",), bench_module="thirdparty_speed")]
"""

BENCH = """
import asyncio, sys
import uidispatch
from uidispatch.backendkit.bench import Variant, main


def setup():
    loop = asyncio.new_event_loop()
    d = uidispatch.get_dispatcher("asyncio", app=loop)

    def run_until(predicate, timeout):
        async def wait():
            deadline = loop.time() + timeout
            while not predicate() and loop.time() < deadline:
                await asyncio.sleep(0.001)
        loop.run_until_complete(wait())

    return {
        "uidispatch": Variant("ours", lambda fn, i: d.call_soon(fn, i), run_until),
        "call_soon_threadsafe": Variant(
            "naive", lambda fn, i: loop.call_soon_threadsafe(fn, i), run_until
        ),
    }


if __name__ == "__main__":
    sys.exit(main("thirdparty", setup))
"""


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "thirdparty_plugin.py").write_text(textwrap.dedent(PLUGIN))
    (tmp_path / "thirdparty_speed.py").write_text(textwrap.dedent(BENCH))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # the bench child finds the module
    ep = importlib.metadata.EntryPoint(
        name="thirdparty_plugin", value="thirdparty_plugin", group="uidispatch"
    )
    _plugins.reset_registry(_plugins.load_registry([ep]))
    yield
    _plugins.reset_registry()
    for module in ("thirdparty_plugin", "thirdparty_speed"):
        sys.modules.pop(module, None)


@pytest.mark.usefixtures("third_party")
def test_bench_module_comes_from_the_backends_spec() -> None:
    assert _bench.bench_module("thirdparty") == "thirdparty_speed"
    assert _bench.bench_module("asyncio") == "uidispatch._tools._bench_asyncio"
    assert _bench.bench_module("tk") == "uidispatch_tk.bench"  # the default for the rest


@pytest.mark.usefixtures("third_party")
def test_a_third_party_backend_benches_against_its_naive_primitive(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["bench", "--json", "--backend", "thirdparty", "--quick"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    (result,) = report["backends"]
    assert result["backend"] == "thirdparty"
    assert result["error"] is None
    rows = {row["variant"]: row for row in result["rows"]}
    assert rows["uidispatch"]["kind"] == "ours"
    assert rows["call_soon_threadsafe"]["kind"] == "naive"
    for row in rows.values():
        assert row["error"] is None
        assert row["thr1"] > 0
        assert row["idle_p99_us"] >= row["idle_p50_us"] > 0
    assert rows["uidispatch"]["vs_naive"]["thr1"] > 0  # the ratio the report is about
