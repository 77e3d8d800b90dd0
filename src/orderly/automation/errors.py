from orderly.kit.errors import Conflict, InvalidInput, NotFound


class PurchaseOrderNotFound(NotFound):
    code = "purchase_order_not_found"


class InvalidReplenishment(InvalidInput):
    code = "invalid_replenishment"


class NotASupplier(InvalidInput):
    code = "not_a_supplier"


class InvalidReceipt(InvalidInput):
    code = "invalid_receipt"


class UnknownFraudRule(InvalidInput):
    code = "unknown_fraud_rule"


class InvalidFraudRule(InvalidInput):
    code = "invalid_fraud_rule"


class UnsupportedGrouping(InvalidInput):
    code = "unsupported_group_by"


class NotInFraudReview(Conflict):
    code = "order_not_in_fraud_review"
