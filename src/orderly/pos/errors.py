from __future__ import annotations

from orderly.kit.errors import Conflict, InvalidInput, NotFound


class NotAStore(InvalidInput):
    code = "not_a_store"


class NoPrice(InvalidInput):
    code = "no_price"


class TendersDoNotAddUp(InvalidInput):
    code = "tenders_do_not_add_up"


class NotOnTheShelf(Conflict):
    code = "insufficient_stock"


class SaleNotFound(NotFound):
    code = "sale_not_found"
