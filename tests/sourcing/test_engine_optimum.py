"""The engine against an exact solver on a few random orders of the benchmark's network."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from orderly.sourcing.config import RoutingConfig
from orderly.sourcing.engine import RoutingEngine

pytest.importorskip(
    "ortools", reason="OR-tools (the exact solver) is a dev dependency: pip install -e '.[dev]'"
)

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sourcing.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sourcing_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "config",
    [{}, {"rules": [{"type": "rank", "by": ["cost"]}, {"type": "split", "policy": "allowed"}]}],
    ids=["default", "cost-only"],
)
def test_twenty_orders_cost_within_two_percent_of_the_optimum(config: dict[str, object]) -> None:
    bench = load_bench()
    rng = random.Random(3)
    network = bench.generate_network(rng, skus=300)
    requests = bench.generate_orders(rng, network, 20)
    engine = RoutingEngine(RoutingConfig.model_validate(config))
    plans = [engine.plan(r) for r in requests]
    result = bench.compare_with_optimum(engine, requests, plans)
    assert result["orders_compared"] >= 15
    assert result["engine_cost"] >= result["optimum_cost"] - 0.05  # the optimum is a bound
    assert result["gap_percent"] <= 2.0
