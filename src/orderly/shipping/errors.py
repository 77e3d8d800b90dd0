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
