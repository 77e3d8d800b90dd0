"""Return errors, each with a stable code."""

from __future__ import annotations

from orderly.kit.errors import Conflict, InvalidInput, NotFound


class ReturnNotFound(NotFound):
    code = "return_not_found"


class ReturnPolicyInvalid(InvalidInput):
    code = "return_policy_invalid"


class ReturnWindowExpired(InvalidInput):
    code = "return_window_expired"


class SkuNotReturnable(InvalidInput):
    code = "sku_not_returnable"


class ReasonNotOffered(InvalidInput):
    code = "return_reason_not_offered"


class QuantityNotReturnable(InvalidInput):
    code = "return_quantity_exceeded"


class NothingShipped(InvalidInput):
    code = "order_not_shipped"


class ReturnLineInvalid(InvalidInput):
    code = "return_line_invalid"


class ReturnLocationInvalid(InvalidInput):
    code = "return_location_invalid"


class ReturnAddressMissing(InvalidInput):
    code = "return_address_missing"


class ReturnLabelBeingBought(Conflict):
    code = "return_label_being_bought"


class ReturnChangedWhileBuying(Conflict):
    code = "return_changed_while_buying"


class ReturnLabelInUse(Conflict):
    code = "return_label_in_use"


class ReceiptExceedsAuthorized(InvalidInput):
    code = "receipt_exceeds_authorized"


class RefundExceedsReturnValue(InvalidInput):
    code = "refund_exceeds_return_value"


class NothingToRefund(Conflict):
    code = "nothing_to_refund"


class ExchangeExists(Conflict):
    code = "exchange_exists"


class LookupRefused(Exception):
    """A refusal of the public return page (the details match no order, too many attempts, a
    label link that is not valid or has expired): shown as a plain page, not problem+json."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
