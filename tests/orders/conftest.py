"""Fixtures shared by the order tests."""

from __future__ import annotations

import pytest

from orderly.kit.db import Database
from tests.factories import Org, create_location, create_sku, receive_stock


@pytest.fixture
async def mug_shop(db: Database, org: Org) -> Org:
    """One warehouse, WH1, with 5 MUG."""
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 5)
    return org
