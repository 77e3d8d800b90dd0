"""Routing configurations over the API: defaults, saving, channel overrides, validation."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for

DEFAULT = "/v1/routing-configs/default"


class TestDefaultConfiguration:
    async def test_nothing_saved_shows_the_built_in_defaults(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        response = await client.get(DEFAULT, headers=org.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["saved"] is False
        assert body["channel"] is None
        assert [r["type"] for r in body["config"]["rules"]] == [
            "capacity",
            "rank",
            "split",
            "backorder",
        ]
        assert body["config"]["rules"][1]["by"] == ["shipments", "cost"]

    async def test_saved_configuration_is_read_back(
        self, client: httpx.AsyncClient, org: Org
    ) -> None:
        config = {
            "rules": [
                {"type": "max_distance", "km": 1200},
                {"type": "rank", "by": ["distance"]},
                {"type": "split", "policy": "never"},
            ],
            "costs": {"handling": {"default": "1.75", "kinds": {"store": "3.10"}}},
        }
        saved = await client.put(DEFAULT, json=config, headers=org.headers)
        assert saved.status_code == 200, saved.text
        body = (await client.get(DEFAULT, headers=org.headers)).json()
        assert body["saved"] is True
        assert body["config"]["rules"][0] == {"type": "max_distance", "km": 1200.0}
        assert body["config"]["costs"]["handling"]["kinds"] == {"store": "3.10"}

    async def test_a_viewer_may_read_but_not_change_it(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        viewer = await key_for(db, org, Role.VIEWER)
        assert (await client.get(DEFAULT, headers=viewer)).status_code == 200
        assert (await client.put(DEFAULT, json={}, headers=viewer)).status_code == 403


class TestValidation:
    async def test_errors_name_the_field(self, client: httpx.AsyncClient, org: Org) -> None:
        cases = [
            ({"rules": [{"type": "max_distance", "km": -5}]}, "rules.0.max_distance.km"),
            ({"rules": [{"type": "split", "max_shipments": 0}]}, "rules.0.split.max_shipments"),
            ({"rules": [{"type": "teleport"}]}, "rules.0"),
            ({"costs": {"handling": {"default": "cheap"}}}, "costs.handling.default"),
            ({"surprise": 1}, "surprise"),
        ]
        for config, field in cases:
            response = await client.put(DEFAULT, json=config, headers=org.headers)
            assert response.status_code == 422, config
            problem = response.json()
            assert problem["code"] == "validation_error"
            assert problem["errors"][0]["field"] == field, problem

    async def test_two_rank_rules_are_refused(self, client: httpx.AsyncClient, org: Org) -> None:
        config = {"rules": [{"type": "rank", "by": ["cost"]}, {"type": "rank", "by": ["priority"]}]}
        response = await client.put(DEFAULT, json=config, headers=org.headers)
        assert response.status_code == 422
        assert "at most one 'rank' rule" in response.json()["detail"]
        assert (await client.get(DEFAULT, headers=org.headers)).json()["saved"] is False


class TestChannelConfiguration:
    async def test_a_channel_has_its_own(self, client: httpx.AsyncClient, org: Org) -> None:
        url = "/v1/routing-configs/channels/web"
        assert (await client.get(url, headers=org.headers)).json()["saved"] is False
        config = {"rules": [{"type": "exclude_locations", "locations": ["WH1"]}]}
        response = await client.put(url, json=config, headers=org.headers)
        assert response.status_code == 200
        body = (await client.get(url, headers=org.headers)).json()
        assert body["channel"] == "web"
        assert body["config"]["rules"] == [{"type": "exclude_locations", "locations": ["WH1"]}]
        assert (await client.get(DEFAULT, headers=org.headers)).json()["saved"] is False

    async def test_an_unknown_channel_is_404(self, client: httpx.AsyncClient, org: Org) -> None:
        url = "/v1/routing-configs/channels/nowhere"
        assert (await client.get(url, headers=org.headers)).status_code == 404
        response = await client.put(url, json={}, headers=org.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "channel_not_found"
