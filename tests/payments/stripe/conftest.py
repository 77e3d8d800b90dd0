"""The Stripe connector's tests: a fake Stripe on a clock the test moves, behind a wire that can
lose answers, and an account's connector talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from orderly.kit.vendor_http import use_clock
from orderly.payments.providers.stripe import StripePayments
from orderly.payments.providers.stripe.provider import use_stripe_transport
from tests.clock import MovableClock
from tests.payments.stripe.fake import FakeStripe
from tests.transports import TimingOut

FAKE_BASE = "https://stripe.test"


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    clock = MovableClock()
    use_clock(clock)
    yield clock
    use_clock(None)


@pytest.fixture
def stripe(clock: MovableClock) -> FakeStripe:
    return FakeStripe(clock)


@pytest.fixture
def wire(stripe: FakeStripe) -> TimingOut:
    """The network between Orderly and the fake: it can time out or lose an answer."""
    return TimingOut(stripe.transport)


@pytest.fixture
async def payments(stripe: FakeStripe, wire: TimingOut) -> AsyncIterator[StripePayments]:
    async with StripePayments(stripe.secret_key, base_url=FAKE_BASE, transport=wire) as account:
        yield account


@pytest.fixture
def stripe_accounts(stripe: FakeStripe) -> Iterator[FakeStripe]:
    """Every Stripe payment account's calls go to the fake Stripe."""
    use_stripe_transport(stripe.transport)
    yield stripe
    use_stripe_transport(None)
