"""GET /address-validate of the fake MyDHL API: whether DHL Express picks up or delivers at a
postal code and city, answered with the service areas that match (DHL says nothing of streets
or of whether an address is a home)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from tests.shipping.carriers.fakes.dhl.network import Place
from tests.shipping.carriers.fakes.dhl.problems import answer, missing, wrong_format

if TYPE_CHECKING:
    from tests.shipping.carriers.fakes.dhl.app import FakeDhlExpress

LIMITS = {"countryCode": (2, 2), "postalCode": (0, 12), "cityName": (0, 45)}


async def validate_address(fake: FakeDhlExpress, request: Request, path: str) -> Response:
    params = request.query_params
    for name in ("type", "countryCode"):
        if not params.get(name):
            raise missing(name)
    if params["type"] not in ("pickup", "delivery"):
        raise wrong_format("type", "valid values are [pickup, delivery]")
    for name, (lo, hi) in LIMITS.items():
        value = params.get(name)
        if value is not None and not lo <= len(value) <= hi:
            raise wrong_format(name, f"maxLength={hi}")
    strict = params.get("strictValidation", "true")
    if strict not in ("true", "false"):
        raise wrong_format("strictValidation")
    country = params["countryCode"]
    postal = params.get("postalCode", "").replace(" ", "").upper()
    city = params.get("cityName", "").casefold()

    def same_postal(place: Place) -> bool:
        return place.postal_code.replace(" ", "").upper() == postal

    places = [p for p in fake.places if p.country == country]
    exact = [p for p in places if same_postal(p) and (not city or p.city.casefold() == city)]
    loose = [p for p in places if same_postal(p) or (city and p.city.casefold() == city)]
    found = exact if strict == "true" else (exact or loose)
    said: dict[str, Any] = {
        "address": [
            {
                "countryCode": p.country,
                "postalCode": p.postal_code,
                "cityName": p.city,
                "serviceArea": {"code": p.area, "description": p.area_name, "GMTOffset": p.offset},
            }
            for p in found
        ]
    }
    if not found:  # made up: what DHL adds when nothing matches is not documented
        said["warnings"] = ["No DHL Express service area matches the postal code and city"]
    return answer(said)
