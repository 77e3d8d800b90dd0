"""Stock pools: one shared pool every channel sees, or a share per channel (a percent, or a
fixed number of units) that adds up to no more than what exists, whatever the shares."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderly.connections import stock, sync
from orderly.connections.domain import Share, allocated_units
from orderly.connections.service import Installation
from orderly.kit.db import Database
from orderly.kit.vault import vault_for
from orderly.settings import Settings
from tests.connections.memory_platform import MemoryShop
from tests.connections.test_connections import SHOPS, connect, stocked
from tests.factories import Org, create_channel

shares_strategy = st.dictionaries(
    st.sampled_from(["amazon", "etsy", "flipkart", "web", "pos"]),
    st.one_of(
        st.builds(Share, percent=st.integers(0, 100)),
        st.builds(Share, units=st.integers(0, 50)),
    ),
    max_size=5,
)


@given(available=st.integers(-5, 500), shares=shares_strategy)
def test_what_all_channels_are_shown_never_exceeds_what_exists(
    available: int, shares: dict[str, Share]
) -> None:
    shown = {code: allocated_units(available, shares, code) for code in shares}
    assert all(units >= 0 for units in shown.values())
    assert sum(shown.values()) <= max(available, 0)
    assert allocated_units(available, shares, "not-named") == 0


def test_fixed_units_come_first_and_percents_share_the_rest() -> None:
    shares = {"amazon": Share(percent=40), "etsy": Share(units=3), "web": Share(percent=60)}
    assert [allocated_units(10, shares, c) for c in ("amazon", "etsy", "web")] == [2, 3, 4]
    assert allocated_units(2, shares, "etsy") == 2  # never more than exists


@pytest.fixture
def shops() -> Iterator[list[tuple[str, MemoryShop]]]:
    made = []
    for _ in range(2):
        base_url = f"http://127.0.0.1:9/shop-{secrets.token_hex(4)}"
        SHOPS[base_url] = MemoryShop()
        SHOPS[base_url].listed = {"TEE-1"}
        made.append((base_url, SHOPS[base_url]))
    yield made
    for base_url, _ in made:
        SHOPS.pop(base_url, None)


async def test_each_channel_is_shown_its_share_and_a_change_pushes_again(
    client: httpx.AsyncClient,
    db: Database,
    org: Org,
    settings: Settings,
    shops: list[tuple[str, MemoryShop]],
) -> None:
    installation = Installation(
        allow_private_urls=True, public_url=settings.public_url, vault=vault_for(settings)
    )
    await stocked(db, org, units=10)
    await create_channel(db, org, "market", kind="marketplace")
    (web_url, web), (market_url, market) = shops
    web_connection = await connect(client, org, web_url)
    market_connection = await connect(client, org, market_url, channel="market")
    for created in (web_connection, market_connection):
        await sync.set_up(db, installation, created["id"])

    answer = await client.put(
        "/v1/stock-pools",
        json={"model": "allocated", "shares": {"web": {"percent": 50}, "market": {"units": 4}}},
        headers=org.headers,
    )
    assert answer.status_code == 200, answer.text
    for created in (web_connection, market_connection):
        await sync.push_stock(db, installation, created["id"])
    assert web.shown == {("TEE-1", None): 3}  # half of what the 4 fixed units leave
    assert market.shown == {("TEE-1", None): 4}

    back = await client.put("/v1/stock-pools", json={"model": "shared"}, headers=org.headers)
    assert back.status_code == 200
    async with db.transaction() as tx:
        await stock.route_stock_changes(tx.connection)
    for created in (web_connection, market_connection):
        await sync.push_stock(db, installation, created["id"])
    assert web.shown == market.shown == {("TEE-1", None): 10}
    assert (await client.get("/v1/stock-pools", headers=org.headers)).json()["model"] == "shared"


async def test_bad_shares_are_refused_naming_the_field(client: httpx.AsyncClient, org: Org) -> None:
    too_much = await client.put(
        "/v1/stock-pools",
        json={"model": "allocated", "shares": {"web": {"percent": 101}}},
        headers=org.headers,
    )
    assert too_much.status_code == 422
    unknown = await client.put(
        "/v1/stock-pools",
        json={"model": "allocated", "shares": {"nowhere": {"units": 1}}},
        headers=org.headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "shares.nowhere"
    both = await client.put(
        "/v1/stock-pools",
        json={"model": "allocated", "shares": {"web": {"units": 1, "percent": 5}}},
        headers=org.headers,
    )
    assert both.status_code == 422
    assert (await client.get("/v1/stock-pools", headers=org.headers)).json()["model"] == "shared"
