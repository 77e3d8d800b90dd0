"""POST /rates of the fake MyDHL API: the products between the two countries, each with the
account's price (BILLC), the public one (PULCL) and DHL's delivery estimate."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tests.shipping.carriers.fakes.dhl import network
from tests.shipping.carriers.fakes.dhl.network import Product
from tests.shipping.carriers.fakes.dhl.problems import DhlProblem, answer
from tests.shipping.carriers.fakes.dhl.spec import RATE_REQUEST

if TYPE_CHECKING:
    from tests.shipping.carriers.fakes.dhl.app import FakeDhlExpress


async def rates(fake: FakeDhlExpress, request: Request, path: str) -> Response:
    body = await fake.read_body(request, path, RATE_REQUEST)
    fake.check_account(body.get("accounts") or [])
    day = network.planned_date(body["plannedShippingDateAndTime"], fake.today)
    shipper = body["customerDetails"]["shipperDetails"]
    receiver = body["customerDetails"]["receiverDetails"]
    network.check_address(shipper, "/customerDetails/shipperDetails")
    network.check_address(receiver, "/customerDetails/receiverDetails")
    network.check_weights(body["packages"], "/packages")
    origin, destination = shipper["countryCode"], receiver["countryCode"]
    products = network.products_between(origin, destination, body["isCustomsDeclarable"])
    if body.get("productCode"):
        products = tuple(p for p in products if p.code == body["productCode"])
    if not products:  # the wording is DHL's as integrators report it; not in the specification
        raise DhlProblem(
            404,
            "The requested product(s) not available based on your search criteria.",
            title="Product not found",
            message="Not Found",
        )
    currency = network.billing_currency(origin)
    return answer({"products": [rated(p, body["packages"], day, currency) for p in products]})


def rated(
    product: Product, packages: list[dict[str, Any]], day: date, currency: str
) -> dict[str, Any]:
    price = network.price(product, packages, currency)
    public = (price * Decimal("1.25")).quantize(price, rounding=ROUND_HALF_UP)
    arrives, moment = network.arrival(day, product)
    weight = sum(Decimal(p["weight"]) for p in packages)
    return {
        "productName": product.name,
        "productCode": product.code,
        "localProductCode": product.code,
        "networkTypeCode": "TD",
        "isCustomerAgreement": False,
        "weight": {"volumetric": 0, "provided": weight, "unitOfMeasurement": "metric"},
        "totalPrice": [
            {"currencyType": "PULCL", "priceCurrency": currency, "price": public},
            {"currencyType": "BILLC", "priceCurrency": currency, "price": price},
            {"currencyType": "BASEC", "priceCurrency": "EUR", "price": price},
        ],
        "deliveryCapabilities": {
            "deliveryTypeCode": "QDDC",
            "estimatedDeliveryDateAndTime": moment,
            "destinationServiceAreaCode": "PRG",
            "deliveryAdditionalDays": 0,
            "deliveryDayOfWeek": arrives.isoweekday(),
            "totalTransitDays": product.days,
        },
        "pricingDate": day.isoformat(),
    }
