"""Fulfillment rules without a database: the state machine, box choice, short picks, codes."""

from __future__ import annotations

import itertools

import pytest

from orderly.fulfillment.domain import (
    PICKUP_CODE_ALPHABET,
    TRANSITIONS,
    Box,
    FulfillmentLine,
    FulfillmentStatus,
    NothingFits,
    PackItem,
    PickupCodeKey,
    ensure_transition,
    new_pickup_nonce,
    plan_parcels,
    short_picks,
)
from orderly.kit.errors import IllegalTransition

F = FulfillmentStatus
SMALL = Box("S", 200, 150, 100, 2000, 100)
MEDIUM = Box("M", 300, 250, 200, 5000, 200)
LONG = Box("L", 600, 100, 100, 3000, 150)


def mugs(n: int, weight: int = 300) -> list[PackItem]:
    return [PackItem(1, weight, (100, 80, 60)) for _ in range(n)]


class TestStateMachine:
    def test_the_happy_path_is_allowed(self) -> None:
        path = [F.PENDING, F.ACCEPTED, F.PICKING, F.PACKED, F.SHIPPED, F.DELIVERED]
        for current, target in itertools.pairwise(path):
            ensure_transition(current, target)

    @pytest.mark.parametrize(
        ("current", "target"),
        [
            (F.PENDING, F.PICKING),
            (F.PACKED, F.REJECTED),
            (F.SHIPPED, F.CANCELLED),
            (F.REJECTED, F.ACCEPTED),
            (F.DELIVERED, F.SHIPPED),
        ],
    )
    def test_illegal_moves_raise(self, current: F, target: F) -> None:
        with pytest.raises(IllegalTransition):
            ensure_transition(current, target)

    def test_terminal_statuses_lead_nowhere(self) -> None:
        for status in (F.DELIVERED, F.REJECTED, F.CANCELLED):
            assert TRANSITIONS[status] == frozenset()


class TestBoxChoice:
    def test_the_smallest_box_that_holds_everything(self) -> None:
        [parcel] = plan_parcels(mugs(2), [MEDIUM, SMALL])
        assert parcel.box is SMALL
        assert parcel.weight_grams == 100 + 600

    def test_weight_moves_up_a_size(self) -> None:
        [parcel] = plan_parcels(mugs(2, weight=1000), [MEDIUM, SMALL])
        assert parcel.box is MEDIUM

    def test_a_long_item_needs_the_long_box(self) -> None:
        [parcel] = plan_parcels([PackItem(1, 500, (550, 90, 90))], [SMALL, MEDIUM, LONG])
        assert parcel.box is LONG

    def test_too_much_for_one_box_is_split_first_fit_decreasing(self) -> None:
        parcels = plan_parcels(mugs(20, weight=400), [SMALL, MEDIUM])
        assert sum(len(p.items) for p in parcels) == 20
        assert len(parcels) == 2
        for p in parcels:
            assert p.weight_grams <= p.box.max_weight_grams

    def test_an_item_no_box_holds_is_refused(self) -> None:
        with pytest.raises(NothingFits):
            plan_parcels([PackItem(1, 100, (900, 10, 10))], [SMALL, MEDIUM])

    def test_items_without_dimensions_go_by_weight(self) -> None:
        [parcel] = plan_parcels([PackItem(1, 1500)], [SMALL, MEDIUM])
        assert parcel.box is SMALL


class TestPicking:
    def test_unreported_lines_are_picked_in_full(self) -> None:
        lines = [FulfillmentLine(1, 10, 3), FulfillmentLine(2, 11, 2, rejected=1)]
        assert short_picks(lines, {}) == {}
        assert short_picks(lines, {1: 1, 2: 0}) == {1: 2, 2: 1}


class TestPickupCode:
    def test_codes_use_an_unambiguous_alphabet(self) -> None:
        code = PickupCodeKey("secret", 1, 7).code(new_pickup_nonce())
        assert len(code) == 8 and set(code) <= set(PICKUP_CODE_ALPHABET)

    def test_the_same_key_and_nonce_derive_the_same_code(self) -> None:
        key = PickupCodeKey("secret", 1, 7)
        assert key.code("n1") == PickupCodeKey("secret", 1, 7).code("n1")
        assert key.code("n1") != key.code("n2")
        assert key.code("n1") != PickupCodeKey("other secret", 1, 7).code("n1")

    def test_a_code_matches_only_its_fulfillment_order(self) -> None:
        stored = PickupCodeKey("secret", 1, 7).hash("ABC-DEF")
        assert PickupCodeKey("secret", 1, 7).matches("abcdef", stored)
        assert not PickupCodeKey("secret", 1, 8).matches("ABCDEF", stored)
        assert not PickupCodeKey("secret", 2, 7).matches("ABCDEF", stored)

    def test_the_hash_needs_the_secret_key(self) -> None:
        code = PickupCodeKey("secret", 1, 7).code("n1")
        stored = PickupCodeKey("secret", 1, 7).hash(code)
        assert code not in stored
        assert not PickupCodeKey("guess", 1, 7).matches(code, stored)
