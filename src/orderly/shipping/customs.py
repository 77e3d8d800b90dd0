"""When a shipment declares its goods to customs, and the declaration it makes."""

from __future__ import annotations

from collections.abc import Iterable

from orderly.fulfillment.shipping_port import GoodsLine
from orderly.shipping.domain import Customs, CustomsLine
from orderly.shipping.errors import CustomsDetailsMissing

# The European Union's customs union: goods move between these countries without a
# declaration. Monaco is inside it through France. (Special territories of member states, such
# as the Canary Islands, are outside it but share their state's country code: a shipment to
# them must be declared by hand.)
EU_CUSTOMS_UNION = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MC MT NL PL PT RO SE SI SK".split()
)


def crosses_customs_border(from_country: str, to_country: str) -> bool:
    if not from_country or not to_country or from_country == to_country:
        return False
    return not (from_country in EU_CUSTOMS_UNION and to_country in EU_CUSTOMS_UNION)


def declaration(from_country: str, to_country: str, goods: Iterable[GoodsLine]) -> Customs | None:
    """The goods as customs lines, or None when the shipment stays inside a customs area."""
    if not crosses_customs_border(from_country, to_country):
        return None
    lines = tuple(
        CustomsLine(
            description=g.description,
            hs_code=g.hs_code,
            origin_country=g.origin_country,
            quantity=g.quantity,
            unit_value_minor=g.unit_value_minor,
            currency=g.currency,
            unit_weight_grams=g.unit_weight_grams,
            sku=g.sku,
        )
        for g in goods
    )
    return Customs(lines=lines) if lines else None


def ensure_complete(declaration: Customs) -> None:
    """A carrier that files the declaration needs every line's HS code and origin: refuse
    before buying, naming the SKUs the catalog must complete."""
    lacking = [
        line.sku or line.description
        for line in declaration.lines
        if not line.hs_code or not line.origin_country
    ]
    if lacking:
        first = next(
            i
            for i, line in enumerate(declaration.lines)
            if not line.hs_code or not line.origin_country
        )
        field = "hs_code" if not declaration.lines[first].hs_code else "country_of_origin"
        raise CustomsDetailsMissing(
            "this shipment crosses a customs border, and the catalog lacks the HS code or the "
            f"country of origin of {', '.join(lacking)}: set them on the products "
            "(PATCH /v1/products/{id}) and ship again",
            field=f"customs.lines[{first}].{field}",
            extra={"skus": lacking},
        )
