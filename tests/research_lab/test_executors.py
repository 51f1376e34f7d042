"""Research sweeps on every executor give bit-identical walk-forwards.

The same candidates are walked forward in this process (the reference: the fold loop of
``walk_forward`` itself), on a spawned process pool, and on a Dask ``LocalCluster`` bound
to 127.0.0.1; every fold choice, equity point and metric must be equal — not close.
The CLI test drives ``ats research walkforward`` against the cluster's scheduler address.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from ats.cli.main import main
from research_lab.backtest.engine import for_timeframe
from research_lab.generators import DeterministicGenerator
from research_lab.pipeline_ci import executor as ex_mod
from research_lab.pipeline_ci.executor import (
    DaskExecutor,
    LocalExecutor,
    SerialExecutor,
    make_executor,
)
from research_lab.pipeline_ci.market import MarketSpec, history
from research_lab.pipeline_ci.sweep import sweep, walk_forward_many
from research_lab.pipeline_ci.walkforward import WalkForwardResult, walk_forward

ROOT = Path(__file__).resolve().parents[2]
MARKET = MarketSpec(history_bars=1200)
ETH = MarketSpec(symbol="ETH/USDT:USDT", history_bars=1200)
TRAIN, TEST, VARIANTS, SEED = 300, 150, 3, 4


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(protocol="tcp", host="127.0.0.1", n_workers=1,
                                  threads_per_worker=2,
                                  processes=False, dashboard_address=None) as lc:
        yield lc


def _specs(n: int = 3):  # type: ignore[no-untyped-def]
    return DeterministicGenerator(seed=2, timeframe="1h").generate(n)


def _same(a: WalkForwardResult, b: WalkForwardResult) -> None:
    assert a.to_dict() == b.to_dict()
    for name in ("equity", "returns", "pnl"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name


def _reference() -> list[WalkForwardResult]:
    bars = history(MARKET)
    cfg = for_timeframe("1h")
    return [walk_forward(s, bars, cfg, train=TRAIN, test=TEST, variants=VARIANTS, seed=SEED)
            for s in _specs()]


def _sweep(executor: object, seen: list[tuple[int, int]]) -> list[WalkForwardResult]:
    return walk_forward_many(_specs(), MARKET, for_timeframe("1h"), train=TRAIN, test=TEST,
                             variants=VARIANTS, seed=SEED, executor=executor,  # type: ignore[arg-type]
                             progress=lambda d, n: seen.append((d, n)))


def test_serial_sweep_equals_the_fold_loop() -> None:
    ref = _reference()
    assert any(len(r.folds) > 1 for r in ref) and any(r.metrics.trades for r in ref)
    seen: list[tuple[int, int]] = []
    for a, b in zip(ref, _sweep(SerialExecutor(), seen), strict=True):
        _same(a, b)
    n_tasks = len(_specs()) * len(ref[0].folds)  # candidate x symbol (one) x fold
    assert seen[-1] == (n_tasks, n_tasks) and len(seen) == n_tasks


@pytest.mark.slow
def test_process_pool_and_dask_equal_the_reference(cluster) -> None:  # type: ignore[no-untyped-def]
    """Candidates × two symbols × folds, on a spawned pool and on the Dask cluster."""
    cfg = for_timeframe("1h")
    specs = _specs(2)
    ref = [[walk_forward(s, history(m), cfg, train=TRAIN, test=TEST, variants=VARIANTS,
                         seed=SEED) for m in (MARKET, ETH)] for s in specs]
    kw = {"train": TRAIN, "test": TEST, "variants": VARIANTS, "seed": SEED}
    pool = LocalExecutor(workers=2)
    seen_pool: list[tuple[int, int]] = []
    try:
        got_pool = sweep(specs, [MARKET, ETH], cfg, executor=pool,  # type: ignore[arg-type]
                         progress=lambda d, n: seen_pool.append((d, n)), **kw)
    finally:
        pool.close()
    dask = DaskExecutor(cluster.scheduler_address)
    seen: list[tuple[int, int]] = []
    try:
        got_dask = sweep(specs, [MARKET, ETH], cfg, executor=dask,  # type: ignore[arg-type]
                         progress=lambda d, n: seen.append((d, n)), **kw)
    finally:
        dask.close()
    for i in range(len(specs)):
        assert ref[i][0].to_dict() != ref[i][1].to_dict()  # the symbols differ for real
        for j in range(2):
            _same(ref[i][j], got_pool[i][j])
            _same(ref[i][j], got_dask[i][j])
    n_tasks = sum(len(r.folds) for row in ref for r in row)
    assert seen == [(d, n_tasks) for d in range(1, n_tasks + 1)]
    done = [d for d, _ in seen_pool]  # chunks: fewer ticks, still rising to the total
    assert done == sorted(done) and seen_pool[-1] == (n_tasks, n_tasks)


def test_task_errors_surface_with_their_own_message(cluster) -> None:  # type: ignore[no-untyped-def]
    dask = DaskExecutor(cluster.scheduler_address)
    try:
        with pytest.raises(ZeroDivisionError):
            dask.map(_inverse, [1, 0, 2])
        assert dask.map(_inverse, [4, 2]) == [0.25, 0.5]  # order kept
    finally:
        dask.close()


def _inverse(x: int) -> float:
    return 1 / x


def test_executor_choice_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown executor 'spark'"):
        make_executor("spark")
    with pytest.raises(ValueError, match="--scheduler goes with --executor dask"):
        make_executor("local", "tcp://127.0.0.1:8786")
    assert np.array_equal(LocalExecutor(workers=1).map(_inverse, [2, 4]), [0.5, 0.25])


# ----------------------------------------------------------------------------- the CLI
def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--lang", "en", *args], catch_exceptions=False)


def _walkforward_stage(rep: Path, run_id: str) -> dict[str, object]:
    state = json.loads((rep / run_id / "state.json").read_text())
    return {name: c["stages"].get("walkforward") for name, c in state["candidates"].items()}


def test_cli_walkforward_on_dask_equals_local(tmp_path: Path, cluster) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", cfg)
    rep = tmp_path / "reports"
    for rid in ("loc", "dsk"):
        r = run("research", "generate", "--run", rid, "--reports-dir", str(rep),
                "--config-dir", str(cfg), "-n", "4", "--history-bars", "1200")
        assert r.exit_code == 0, r.output
        r = run("research", "backtest", "--run", rid, "--reports-dir", str(rep),
                "--config-dir", str(cfg))
        assert r.exit_code == 0, r.output
    common = ["--reports-dir", str(rep), "--config-dir", str(cfg)]
    r = run("research", "walkforward", "--run", "loc", *common, "--workers", "1")
    assert r.exit_code == 0, r.output
    assert "Walk-forward folds ran on local (1 worker(s))" in r.output
    r = run("research", "walkforward", "--run", "dsk", *common, "--executor", "dask",
            "--scheduler", cluster.scheduler_address)
    assert r.exit_code == 0, r.output
    assert f"ran on dask ({cluster.scheduler_address})" in r.output
    loc, dsk = _walkforward_stage(rep, "loc"), _walkforward_stage(rep, "dsk")
    assert any(v is not None for v in loc.values())
    assert loc == dsk


def test_cli_unreachable_scheduler_is_one_clear_line(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("distributed")
    monkeypatch.setattr(ex_mod, "CONNECT_TIMEOUT", "1s")
    rep = tmp_path / "reports"
    r = run("research", "generate", "--run", "x", "--reports-dir", str(rep), "-n", "2",
            "--history-bars", "1200")
    assert r.exit_code == 0, r.output
    r = run("research", "walkforward", "--run", "x", "--reports-dir", str(rep),
            "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert r.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in r.output
    r = run("research", "walkforward", "--run", "x", "--reports-dir", str(rep),
            "--scheduler", "tcp://127.0.0.1:9")
    assert r.exit_code == 2 and "--scheduler goes with --executor dask" in r.output
