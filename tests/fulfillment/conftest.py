from __future__ import annotations

from collections.abc import Iterator

import pytest

from orderly.fulfillment.shipping_port import use_label_buyer
from tests.fulfillment.helpers import FakeCarrier


@pytest.fixture
def carrier() -> Iterator[FakeCarrier]:
    fake = FakeCarrier()
    use_label_buyer(fake)
    yield fake
    use_label_buyer(None)
