"""The point of sale's rules: what a counter sale's lines cost with the store's sales tax, and
how its tenders pay it. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from orderly.kit.errors import InvalidInput
from orderly.kit.money import MoneyError, from_minor, to_minor
from orderly.pos.errors import NoPrice, TendersDoNotAddUp
from orderly.pos.schemas import SaleIn, TenderMethod

SOLD_EVENT = "pos.sold"
# Every counter sale carries this tag: its return window starts when it was made.
COUNTER_TAG = "counter"
# An order paid at a store's counter and shipped to the customer from elsewhere.
ENDLESS_AISLE_TAG = "endless_aisle"


@dataclass(frozen=True, slots=True)
class Store:
    id: int
    code: str
    name: str
    kind: str
    active: bool
    address: dict[str, Any]
    sales_tax: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class CounterSku:
    id: int
    code: str
    name: str
    gtin: str | None
    list_price_minor: int | None
    list_price_currency: str | None


@dataclass(frozen=True, slots=True)
class PricedLine:
    line_no: int
    sku: CounterSku
    quantity: int
    unit_price_minor: int
    tax_minor: int
    discount_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity - self.discount_minor + self.tax_minor


def sale_currency(sale: SaleIn, skus: dict[str, CounterSku]) -> str:
    for n, line in enumerate(sale.lines):
        if line.sku not in skus:
            raise InvalidInput(
                f"no active SKU with code or GTIN {line.sku!r}", field=f"lines.{n}.sku"
            )
    if sale.currency is not None:
        return sale.currency
    for line in sale.lines:
        sku = skus.get(line.sku)
        if sku is not None and sku.list_price_currency is not None:
            return sku.list_price_currency
    raise NoPrice("give the sale's currency, or SKUs with list prices", field="currency")


def priced_lines(
    sale: SaleIn, skus: dict[str, CounterSku], currency: str, store: Store
) -> list[PricedLine]:
    rate = Decimal(store.sales_tax["rate"]) if store.sales_tax else Decimal(0)
    lines = []
    for n, line in enumerate(sale.lines, start=1):
        field = f"lines.{n - 1}"
        sku = skus.get(line.sku)
        if sku is None:
            raise InvalidInput(
                f"no active SKU with code or GTIN {line.sku!r}", field=f"{field}.sku"
            )
        if line.unit_price is not None:
            try:
                unit = to_minor(line.unit_price, currency)
            except MoneyError as exc:
                raise InvalidInput(str(exc), field=f"{field}.unit_price") from None
        elif sku.list_price_minor is not None and sku.list_price_currency == currency:
            unit = sku.list_price_minor
        else:
            raise NoPrice(
                f"{sku.code} has no list price in {currency}: give its unit_price",
                field=f"{field}.unit_price",
            )
        net = unit * line.quantity
        tax = int((Decimal(net) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        lines.append(PricedLine(n, sku, line.quantity, unit, tax))
    return lines


def tenders_of(
    sale: SaleIn, currency: str, total: int
) -> tuple[list[tuple[TenderMethod, int, str | None]], int]:
    """Each tender's method, amount and reference, and the change given back in cash."""
    tenders = []
    change = 0
    for n, tender in enumerate(sale.tenders):
        field = f"tenders.{n}"
        try:
            amount = to_minor(tender.amount, currency)
            tendered = to_minor(tender.tendered, currency) if tender.tendered else amount
        except MoneyError as exc:
            raise InvalidInput(str(exc), field=f"{field}.amount") from None
        if tendered < amount:
            raise InvalidInput("less cash was tendered than its amount", field=f"{field}.tendered")
        if tender.method is TenderMethod.STORE_CREDIT and sale.customer is None:
            raise InvalidInput(
                "store credit is drawn from a customer's balance: give the customer",
                field=f"{field}.method",
            )
        change += tendered - amount
        tenders.append((tender.method, amount, tender.reference))
    paid = sum(amount for _, amount, _ in tenders)
    if paid != total:
        raise TendersDoNotAddUp(
            f"the tenders add up to {from_minor(paid, currency)}, the sale to "
            f"{from_minor(total, currency)} {currency}",
            field="tenders",
            extra={"total": from_minor(total, currency)},
        )
    return tenders, change
