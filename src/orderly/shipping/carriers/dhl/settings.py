"""A DHL Express account's settings and credentials, checked when a call needs them (a carrier
is built for every listing of an organization's carriers, so building never fails)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from orderly.kit.errors import InvalidInput
from orderly.shipping.domain import CarrierAccount
from orderly.shipping.errors import CarrierCredentialsRefused

PRODUCTION_URL = "https://express.api.dhl.com/mydhlapi"
SANDBOX_URL = "https://express.api.dhl.com/mydhlapi/test"
# The interface version sent as `x-version` on every call: the version of the published
# specification this connector follows. DHL refuses versions it no longer serves (9001).
API_VERSION = "2.12.0"
DEFAULT_TEMPLATE = "ECOM26_84_001"
CREDENTIAL_KEYS = ("username", "password", "account_number")

LabelFormat = Literal["pdf", "zpl"]
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_OFFSET = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TEMPLATE = re.compile(r"^[A-Za-z0-9_]{1,25}$")


class DhlSettingsInvalid(InvalidInput):
    code = "carrier_settings_invalid"


@dataclass(frozen=True, slots=True)
class DhlSettings:
    label_template: str = DEFAULT_TEMPLATE
    label_format: LabelFormat = "pdf"
    api_version: str = API_VERSION
    # DHL wants the local time the parcels are tendered and the shipper's UTC offset.
    ship_time: str = "16:00"
    utc_offset: str = "+00:00"
    # What the shipment holds, when no customs declaration describes it.
    content_description: str = "Merchandise"
    # The account's billing currency: a label's cost when DHL sends no estimate of it.
    currency: str = "EUR"

    @classmethod
    def of(cls, settings: dict[str, Any]) -> DhlSettings:
        fmt = str(settings.get("label_format") or "pdf").lower()
        if fmt not in ("pdf", "zpl"):
            raise _invalid("label_format", "must be pdf or zpl")
        chosen = cls(
            label_template=str(settings.get("label_template") or DEFAULT_TEMPLATE),
            label_format="zpl" if fmt == "zpl" else "pdf",
            api_version=str(settings.get("api_version") or API_VERSION),
            ship_time=str(settings.get("ship_time") or "16:00"),
            utc_offset=str(settings.get("utc_offset") or "+00:00"),
            content_description=str(settings.get("content_description") or "Merchandise"),
            currency=str(settings.get("currency") or "EUR").upper(),
        )
        if not _TEMPLATE.match(chosen.label_template):
            raise _invalid("label_template", "must be a DHL template name such as ECOM26_84_001")
        if not _TIME.match(chosen.ship_time):
            raise _invalid("ship_time", "must be HH:MM (24-hour clock)")
        if not _CURRENCY.match(chosen.currency):
            raise _invalid("currency", "must be an ISO 4217 code such as EUR")
        if not _OFFSET.match(chosen.utc_offset):
            raise _invalid("utc_offset", "must be +HH:MM or -HH:MM")
        return chosen


def _invalid(key: str, why: str) -> DhlSettingsInvalid:
    return DhlSettingsInvalid(f"DHL Express setting {key} {why}", field=f"settings.{key}")


@dataclass(frozen=True, slots=True)
class DhlCredentials:
    username: str
    password: str
    account_number: str

    @classmethod
    def of(cls, account: CarrierAccount) -> DhlCredentials:
        missing = [key for key in CREDENTIAL_KEYS if not account.credentials.get(key)]
        if missing:
            raise CarrierCredentialsRefused(
                f"the DHL Express account {account.code!r} lacks the credentials "
                f"{', '.join(missing)} (MyDHL API username and password, shipper account number)"
            )
        return cls(
            account.credentials["username"],
            account.credentials["password"],
            account.credentials["account_number"],
        )

    def auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self.username, self.password)
