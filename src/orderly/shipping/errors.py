from __future__ import annotations

from orderly.kit.errors import Conflict, InvalidInput, NotFound, OrderlyError, Unauthorized


class ShipmentNotFound(NotFound):
    code = "shipment_not_found"


class CarrierNotFound(NotFound):
    code = "carrier_not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class CarrierCodeTaken(Conflict):
    code = "carrier_code_taken"


class UnknownCarrierKind(InvalidInput):
    code = "unknown_carrier_kind"


class RateCardInvalid(InvalidInput):
    code = "rate_card_invalid"


class ShipmentInvalid(InvalidInput):
    code = "shipment_invalid"


class CustomsDetailsMissing(InvalidInput):
    code = "customs_details_missing"


class NoServiceAvailable(InvalidInput):
    code = "no_shipping_service"


class ShipmentNotCancellable(Conflict):
    code = "shipment_not_cancellable"


class TrackingSignatureInvalid(Unauthorized):
    code = "tracking_signature_invalid"


class CarrierFailed(OrderlyError):
    code = "carrier_failed"
    status = 502
    title = "The carrier did not answer as expected"


class CarrierUnavailable(CarrierFailed):
    """5xx, timeouts or no connection, after the retries; worth trying again later."""

    code = "carrier_unavailable"
    status = 503


class CarrierBusy(CarrierFailed):
    """The carrier rate-limits us for longer than a request should wait."""

    code = "carrier_rate_limited"
    status = 503


class CarrierCredentialsRefused(CarrierFailed):
    """401 or 403 even with a fresh token: the account's credentials are wrong or revoked."""

    code = "carrier_credentials_refused"


class CarrierRefused(CarrierFailed):
    """The carrier refused the request (an address it cannot serve, a weight over its limit):
    the same request would fail again. `detail` carries the carrier's own message."""

    code = "carrier_refused"
    status = 422


class LabelOutcomeUnknown(CarrierFailed):
    """A label purchase whose answer was lost: the carrier may or may not have made a label."""

    code = "label_outcome_unknown"
    status = 504


class AddressNotCheckable(Conflict):
    code = "address_not_checkable"


class FeatureNotOffered(Conflict):
    """The carrier's API has no such function (DHL Express cannot void a label)."""

    code = "carrier_feature_not_offered"


class LabelPurchaseNotFound(NotFound):
    code = "label_purchase_not_found"


class LabelPurchaseNotOpen(Conflict):
    code = "label_purchase_not_open"
