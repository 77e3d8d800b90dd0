"""The order lifecycle machine (machine.py) as a test: a bounded, reproducible run for every
`make test`, and the soak (`make soak`) that runs fresh seeds for SOAK_MINUTES and prints the
seed and the shrunk steps of every failure."""

from __future__ import annotations

import asyncio
import os
import random
import time
import traceback
from collections.abc import Iterator

import httpx
import hypothesis
import pytest
from hypothesis import HealthCheck, Phase
from hypothesis.stateful import run_state_machine_as_test

from orderly.app import create_app
from orderly.kit.db import Database
from orderly.settings import Settings
from tests.lifecycle.driver import Harness
from tests.lifecycle.machine import machine_for

SOAK_MINUTES = os.environ.get("ORDERLY_SOAK_MINUTES")
QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

# What every `make test` runs: a fixed set of sequences, the same on every machine.
BOUNDED = hypothesis.settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=QUIET,
)
SOAKING = hypothesis.settings(
    max_examples=100,
    stateful_step_count=60,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=QUIET,
    phases=[Phase.generate, Phase.shrink],
)


@pytest.fixture
def harness(settings: Settings, database_url: str) -> Iterator[Harness]:
    """The app on an event loop of the test's own: Hypothesis drives the machine in plain
    calls, and each call runs its requests to the end on this loop."""
    runner = asyncio.Runner()
    db = Database(database_url, pool_size=4, max_overflow=4)
    transport = httpx.ASGITransport(app=create_app(settings, database=db))
    client = httpx.AsyncClient(transport=transport, base_url="http://orderly.test")
    try:
        yield Harness(runner=runner, client=client, db=db)
    finally:
        runner.run(client.aclose())
        runner.run(db.dispose())
        runner.close()


@pytest.mark.skipif(SOAK_MINUTES is not None, reason="the soak runs instead")
def test_order_lifecycle_keeps_its_invariants(harness: Harness) -> None:
    run_state_machine_as_test(machine_for(harness), settings=BOUNDED)


@pytest.mark.skipif(SOAK_MINUTES is None, reason="make soak sets ORDERLY_SOAK_MINUTES")
def test_soak(harness: Harness) -> None:
    deadline = time.monotonic() + 60 * float(SOAK_MINUTES or 0)
    failures: dict[str, int] = {}
    while time.monotonic() < deadline:
        seed = random.getrandbits(64)
        machine = hypothesis.seed(seed)(machine_for(harness))
        try:
            run_state_machine_as_test(machine, settings=SOAKING)
        except Exception as failure:
            # Every failure is reported, then the soak goes on with the next seed.
            summary = f"{type(failure).__name__}: {str(failure).splitlines()[0][:200]}"
            # Hypothesis has just printed the shrunk steps of this failure.
            print(f"\n=== FAILURE with seed {seed} (rerun: @seed({seed})) ===")
            print("".join(traceback.format_exception_only(failure)))
            failures.setdefault(summary, seed)
        else:
            print(f"seed {seed}: passed")
    assert not failures, "failing seeds: " + "; ".join(f"{s} ({m})" for m, s in failures.items())
