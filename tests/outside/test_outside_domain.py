"""Rules of locations operated by others, with no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderly.kit.errors import IllegalTransition
from orderly.outside import sending, service, tasks
from orderly.outside.domain import (
    DifferenceStatus,
    ProviderOrderStatus,
    SkuMap,
    confirmation_token,
    differences,
    ensure_difference_transition,
    ensure_provider_order_transition,
    location_refusal,
    reference_for,
    retry_after_attempts,
    token_matches,
)

P = ProviderOrderStatus


class TestWhoOperatesWhat:
    @pytest.mark.parametrize("kind", ["warehouse", "store"])
    def test_our_own_locations_take_no_provider(self, kind: str) -> None:
        assert "operated by us" in (location_refusal(kind, "shipbob") or "")

    def test_each_kind_fits_its_locations(self) -> None:
        assert location_refusal("3pl", "shipbob") is None
        assert location_refusal("3pl", "sftp") is None
        assert location_refusal("supplier", "email") is None
        assert location_refusal("supplier", "shipbob") is not None
        assert location_refusal("3pl", "email") is not None

    def test_a_supplier_gets_a_purchase_order_number(self) -> None:
        assert reference_for("supplier", 42) == "DS-42"
        assert reference_for("3pl", 42) == "FO-42"


class TestStates:
    def test_what_shipped_or_was_cancelled_moves_no_more(self) -> None:
        for closed in (P.SHIPPED, P.CANCELLED, P.REFUSED):
            for target in P:
                with pytest.raises(IllegalTransition):
                    ensure_provider_order_transition(closed, target)

    def test_a_refused_cancellation_goes_back_to_sent(self) -> None:
        ensure_provider_order_transition(P.CANCEL_REQUESTED, P.SENT)
        ensure_provider_order_transition(P.CANCEL_REQUESTED, P.SHIPPED)

    def test_a_difference_is_decided_once(self) -> None:
        ensure_difference_transition(DifferenceStatus.PENDING, DifferenceStatus.ACCEPTED)
        with pytest.raises(IllegalTransition):
            ensure_difference_transition(DifferenceStatus.ACCEPTED, DifferenceStatus.DISMISSED)


class TestCounts:
    def test_only_skus_whose_counts_differ_are_differences(self) -> None:
        found = differences({"A": 5, "B": 3, "C": 0}, {"A": 5, "B": 4})
        assert [(d.sku, d.expected, d.counted, d.delta) for d in found] == [("B", 4, 3, -1)]

    @given(st.dictionaries(st.sampled_from("ABCDE"), st.integers(0, 50)), st.dictionaries(
        st.sampled_from("ABCDE"), st.integers(0, 50)))  # fmt: skip
    def test_accepting_every_difference_gives_the_providers_counts(
        self, counted: dict[str, int], ours: dict[str, int]
    ) -> None:
        after = dict(ours)
        for d in differences(counted, ours):
            after[d.sku] = after.get(d.sku, 0) + d.delta
        assert all(after.get(sku, 0) == units for sku, units in counted.items())

    def test_skus_are_named_as_each_side_knows_them(self) -> None:
        skus = SkuMap({"MUG": "SUP-778"})
        assert skus.theirs("MUG") == "SUP-778"
        assert skus.theirs("CUP") == "CUP"
        assert skus.ours_of({"SUP-778": 2, "CUP": 1}) == {"MUG": 2, "CUP": 1}


def test_retries_wait_longer_up_to_a_quarter_hour() -> None:
    waits = [retry_after_attempts(n).total_seconds() for n in range(1, 12)]
    assert waits[:3] == [10, 20, 40]
    assert max(waits) == 900
    assert waits == sorted(waits)


def test_a_confirmation_link_opens_its_own_purchase_order_only() -> None:
    token = confirmation_token("secret", 7, "DS-12")
    assert token_matches("secret", 7, "DS-12", token)
    assert not token_matches("secret", 7, "DS-13", token)
    assert not token_matches("secret", 8, "DS-12", token)
    assert not token_matches("other", 7, "DS-12", token)


def test_every_job_the_feature_defers_is_one_the_worker_runs() -> None:
    deferred = {service.CHECK_TASK, service.POLL_TASK, service.STOCK_TASK, sending.WITHDRAW_TASK}
    assert {f"outside:{name}" for name in tasks.blueprint.tasks} >= deferred
