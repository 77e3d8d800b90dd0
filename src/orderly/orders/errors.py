from orderly.kit.errors import Conflict, InvalidInput, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Insufficient stock"


class UnknownSku(InvalidInput):
    code = "unknown_sku"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class InvalidCurrency(InvalidInput):
    code = "invalid_currency"


class PickupNotAvailable(InvalidInput):
    code = "pickup_not_available"


class OrderNotHeld(Conflict):
    code = "order_not_on_hold"


class NothingToCancel(Conflict):
    code = "nothing_to_cancel"


class UnknownChannel(InvalidInput):
    code = "unknown_channel"


class AddressNotEditable(Conflict):
    code = "address_not_editable"


class InvalidAddress(InvalidInput):
    code = "invalid_address"


class StockContention(Conflict):
    """Nothing was written; the same request can simply be sent again."""

    code = "stock_contention"


class StoreCreditPaymentInvalid(InvalidInput):
    code = "store_credit_payment_invalid"
