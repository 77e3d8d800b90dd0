"""`orderly sourcing replay`: past orders decided again under another configuration."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from orderly.cli import app
from orderly.kit.db import Database
from orderly.sourcing.config import RoutingConfig
from orderly.sourcing.replay import replay_orders
from tests.factories import Org, create_location, create_sku, make_org, order_body, receive_stock

NOT_NEWARK = {"rules": [{"type": "exclude_locations", "locations": ["WH1"]}]}


@pytest.fixture
async def history(client: httpx.AsyncClient, db: Database) -> Org:
    org = await make_org(db)
    await create_location(db, org, "WH1", city="Newark")
    await create_location(db, org, "WH2", city="Chicago")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 10)
    await receive_stock(db, org, "MUG", "WH2", 10)
    for _ in range(3):
        placed = await client.post("/v1/orders", json=order_body([("MUG", 2)]), headers=org.headers)
        assert placed.status_code == 201
    return org


async def test_replaying_under_the_same_configuration_changes_nothing(
    db: Database, history: Org
) -> None:
    async with db.transaction() as transaction:
        conn = transaction.connection
        report = await replay_orders(conn, history.id, since=date(2020, 1, 1))
    assert report.actual.orders == report.replayed.orders == 3
    assert report.changed_orders == 0
    assert report.actual.cost_minor == report.replayed.cost_minor
    assert report.replayed.split_rate == 0


async def test_another_configuration_is_compared_with_what_happened(
    db: Database, history: Org
) -> None:
    async with db.transaction() as transaction:
        conn = transaction.connection
        report = await replay_orders(
            conn,
            history.id,
            since=date(2020, 1, 1),
            config=RoutingConfig.model_validate(NOT_NEWARK),
        )
    assert report.changed_orders == 3
    assert report.replayed.cost_minor > report.actual.cost_minor  # Chicago is farther away
    assert report.replayed.mean_distance_km > report.actual.mean_distance_km  # type: ignore[operator]


async def test_the_command_prints_the_comparison(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path, history: Org
) -> None:
    monkeypatch.setenv("ORDERLY_DATABASE_URL", database_url)
    monkeypatch.setenv("ORDERLY_DATA_DIR", str(tmp_path))
    config = tmp_path / "routing.json"
    config.write_text(json.dumps(NOT_NEWARK))
    args = ["sourcing", "replay", "--since", "2020-01-01", "--org", history.slug]
    result = await asyncio.to_thread(CliRunner().invoke, app, [*args, "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "3 order(s) since 2020-01-01" in result.output
    assert "3 order(s) would ship from other locations" in result.output
