"""Pricing a captured order's request: its amounts in minor units, each line's demand on stock,
and the pickup location it names, every fault a 4xx naming its field."""

from __future__ import annotations

from dataclasses import dataclass

from orderly.kit.money import MoneyError, currency_exponent, to_minor
from orderly.orders.domain import DeliveryMethod, LineAmounts
from orderly.orders.errors import InvalidAmount, InvalidCurrency, PickupNotAvailable, UnknownSku
from orderly.orders.repository import CaptureContext
from orderly.orders.schemas import OrderIn
from orderly.sourcing.domain import LineDemand


@dataclass(frozen=True, slots=True)
class Priced:
    """The request's amounts in minor units, and each line's demand on stock."""

    lines: dict[int, LineAmounts]
    shipping_minor: int
    # What each of the order's payments is for, in the order they were sent.
    tender_minor: tuple[int, ...]
    demands: tuple[LineDemand, ...]
    pickup_location_id: int | None

    @property
    def payment_minor(self) -> int:
        return sum(self.tender_minor)


def price(payload: OrderIn, ctx: CaptureContext) -> Priced:
    lines = _line_amounts(payload)
    return Priced(
        lines=lines,
        shipping_minor=_minor(payload.shipping_price, payload.currency, "shipping_price"),
        tender_minor=tuple(
            _minor(tender.amount, payload.currency, field)
            for tender, field in zip(payload.tenders, _tender_fields(payload), strict=True)
        ),
        demands=_demands(
            payload,
            ctx.sku_ids,
            ctx.inactive_skus,
            prices={n: a.unit_price_minor for n, a in lines.items()},
            weights=ctx.sku_weights,
        ),
        pickup_location_id=_pickup_location_id(payload, ctx.pickup_location),
    )


def _tender_fields(payload: OrderIn) -> list[str]:
    if payload.payments is None:
        return ["payment.amount"]
    return [f"payments.{n}.amount" for n in range(len(payload.payments))]


def _minor(amount: str, currency: str, field: str) -> int:
    try:
        return to_minor(amount, currency)
    except MoneyError as exc:
        raise InvalidAmount(str(exc), field=field) from None


def _line_amounts(payload: OrderIn) -> dict[int, LineAmounts]:
    try:
        currency_exponent(payload.currency)
    except MoneyError as exc:
        raise InvalidCurrency(str(exc), field="currency") from None
    amounts: dict[int, LineAmounts] = {}
    for n, line in enumerate(payload.lines, start=1):
        field = f"lines.{n - 1}"
        a = LineAmounts(
            quantity=line.quantity,
            unit_price_minor=_minor(line.unit_price, payload.currency, f"{field}.unit_price"),
            discount_minor=_minor(line.discount, payload.currency, f"{field}.discount"),
            tax_minor=_minor(line.tax, payload.currency, f"{field}.tax"),
        )
        if a.discount_minor > a.gross_minor:
            raise InvalidAmount(
                "the discount is larger than the line's price", field=f"{field}.discount"
            )
        amounts[n] = a
    return amounts


def _demands(
    payload: OrderIn,
    sku_ids: dict[str, int],
    inactive: frozenset[str],
    *,
    prices: dict[int, int],
    weights: dict[str, int],
) -> tuple[LineDemand, ...]:
    demands = []
    for n, line in enumerate(payload.lines, start=1):
        if line.sku not in sku_ids:
            raise UnknownSku(f"no SKU {line.sku!r}", field=f"lines.{n - 1}.sku")
        if line.sku in inactive:
            raise UnknownSku(
                f"SKU {line.sku!r} is inactive", code="sku_inactive", field=f"lines.{n - 1}.sku"
            )
        demands.append(
            LineDemand(n, sku_ids[line.sku], line.quantity, prices[n], weights.get(line.sku, 0))
        )
    return tuple(demands)


def _pickup_location_id(
    payload: OrderIn, pickup: tuple[int, str, tuple[str, ...]] | None
) -> int | None:
    if payload.delivery_method is not DeliveryMethod.PICKUP:
        return None
    if pickup is None:
        raise PickupNotAvailable(
            f"no active location {payload.pickup_location!r}", field="pickup_location"
        )
    if "pickup" not in pickup[2]:
        raise PickupNotAvailable(
            f"{pickup[1]} does not offer store pickup", field="pickup_location"
        )
    return pickup[0]
