from orderly.kit.errors import Conflict, InvalidInput, NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"


class SkuTaken(Conflict):
    code = "sku_taken"


class ImportRowInvalid(InvalidInput):
    """A row of an import file is bad; the detail names its line (the header is line 1)."""

    code = "import_row_invalid"
