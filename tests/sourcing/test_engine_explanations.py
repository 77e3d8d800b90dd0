"""Golden explanations: on a fixed network, the exact reason code for every location."""

from __future__ import annotations

from datetime import date
from typing import Any

from orderly.sourcing.config import RoutingConfig
from orderly.sourcing.engine import RoutingEngine
from tests.sourcing.network import MUG, STOCK, TEE, order

TODAY = date(2026, 11, 26)


def codes(config: dict[str, Any] | None = None, **kwargs: object) -> dict[str, str]:
    engine = RoutingEngine(RoutingConfig.model_validate(config or {}), today=TODAY)
    plan = engine.plan(order((MUG, 2), (TEE, 1), **kwargs))
    return {d.location: d.code for d in plan.decisions}


class TestEveryLocationHasItsReason:
    def test_default_configuration(self) -> None:
        assert codes() == {
            "WH-EAST": "chosen",
            "WH-WEST": "costs_more",
            "ST-BOSTON": "more_shipments",
            "ST-PICKUP": "lacks_capability",
            "SUP-ACME": "not_eligible_for_channel",
            "WH-TORONTO": "does_not_ship_to_country",
            "ST-FULL": "over_capacity",
            "WH-EMPTY": "no_stock",
            "WH-CHICAGO": "costs_more",
        }

    def test_configuration_filters(self) -> None:
        config = {
            "rules": [
                {"type": "exclude_locations", "locations": ["WH-EAST"]},
                {"type": "location_kinds", "kinds": ["warehouse"]},
                {"type": "max_distance", "km": 1500},
            ]
        }
        assert codes(config) == {
            "WH-EAST": "excluded",
            "WH-WEST": "too_far",
            "ST-BOSTON": "kind_not_allowed",
            "ST-PICKUP": "lacks_capability",
            "SUP-ACME": "not_eligible_for_channel",
            "WH-TORONTO": "does_not_ship_to_country",
            "ST-FULL": "kind_not_allowed",
            "WH-EMPTY": "no_stock",
            "WH-CHICAGO": "chosen",
        }

    def test_ranking_by_priority_reports_ranked_lower(self) -> None:
        config = {"rules": [{"type": "rank", "by": ["priority", "distance"]}]}
        assert codes(config)["WH-CHICAGO"] == "ranked_lower"

    def test_pickup_order_uses_only_its_store(self) -> None:
        engine = RoutingEngine(today=TODAY)
        plan = engine.plan(order((MUG, 1), delivery_method="pickup", pickup_location_id=4))
        assert [a.location_id for a in plan.allocations] == [4]
        assert {d.location: d.code for d in plan.decisions}["WH-EAST"] == "not_pickup_location"
        assert plan.estimated_cost_minor == 200  # handling only: nothing is shipped


class TestExplanationText:
    def test_the_chosen_location_says_what_it_ships_and_for_how_much(self) -> None:
        plan = RoutingEngine(today=TODAY).plan(order((MUG, 2), (TEE, 1)))
        chosen = next(d for d in plan.decisions if d.chosen)
        assert chosen.location == "WH-EAST"
        assert chosen.detail.startswith("ships 3 unit(s) for ")
        assert plan.explanation[0].startswith("one shipment from WH-EAST")
        assert plan.estimated_ship_date == TODAY

    def test_a_short_order_names_the_short_units_and_the_policy(self) -> None:
        stock = {(MUG, 1): 1}
        config = RoutingConfig.model_validate(
            {"rules": [{"type": "backorder", "policy": "cancel_line"}]}
        )
        plan = RoutingEngine(config, today=TODAY).plan(order((MUG, 3), available=stock))
        assert dict(plan.shortfalls) == {1: 2}
        assert plan.backorder_policy == "cancel_line"
        assert plan.explanation[-1] == (
            "2 unit(s) not available at any eligible location: cancelled from their lines"
        )


class TestSplitPolicy:
    def test_a_split_is_made_only_when_needed(self) -> None:
        stock = {(MUG, 1): 2, (TEE, 9): 1}
        plan = RoutingEngine(today=TODAY).plan(order((MUG, 2), (TEE, 1), available=stock))
        assert plan.location_ids == (1, 9)
        assert "no single location holds every line" in plan.explanation[0]

    def test_never_split_ships_what_one_location_can_and_says_why_not_more(self) -> None:
        stock = {(MUG, 1): 2, (TEE, 9): 1}
        config = RoutingConfig.model_validate({"rules": [{"type": "split", "policy": "never"}]})
        plan = RoutingEngine(config, today=TODAY).plan(order((MUG, 2), (TEE, 1), available=stock))
        assert plan.location_ids == (1,)
        assert dict(plan.shortfalls) == {2: 1}
        assert {d.location: d.code for d in plan.decisions}["WH-CHICAGO"] == "shipment_limit"

    def test_min_shipment_value_refuses_a_small_second_parcel(self) -> None:
        stock = {(MUG, 1): 2, (TEE, 9): 1}
        config = RoutingConfig.model_validate(
            {"rules": [{"type": "split", "min_shipment_value": "30.00"}]}
        )
        plan = RoutingEngine(config, today=TODAY).plan(order((MUG, 2), (TEE, 1), available=stock))
        assert plan.location_ids == (1,)  # the tee alone (19.99) is below 30.00
        assert dict(plan.shortfalls) == {2: 1}

    def test_untouched_stock_is_never_more_than_the_snapshot(self) -> None:
        plan = RoutingEngine(today=TODAY).plan(order((MUG, 1)))
        assert all(a.quantity <= STOCK[(a.sku_id, a.location_id)] for a in plan.allocations)
