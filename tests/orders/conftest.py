"""Fixtures shared by the order tests."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Org
from tests.orders.factories import create_location, create_sku, receive_stock


@pytest.fixture
async def mug_shop(client: httpx.AsyncClient, org: Org) -> Org:
    """One warehouse, WH1, with 5 MUG."""
    await create_location(client, org.headers, "WH1")
    await create_sku(client, org.headers, "MUG")
    await receive_stock(client, org.headers, "MUG", "WH1", 5)
    return org
