from orderly.kit.errors import Conflict, InvalidInput, NotFound


class FulfillmentOrderNotFound(NotFound):
    code = "fulfillment_order_not_found"


class PickListNotFound(NotFound):
    code = "pick_list_not_found"


class LocationNotFound(NotFound):
    code = "location_not_found"


class UnknownLocation(InvalidInput):
    code = "unknown_location"


class UnknownSku(InvalidInput):
    code = "unknown_sku"


class InvalidLines(InvalidInput):
    code = "invalid_lines"


class NothingToPick(Conflict):
    code = "nothing_to_pick"


class NoBoxFits(InvalidInput):
    code = "no_box_fits"


class UnknownBox(InvalidInput):
    code = "unknown_box"


class NothingToShip(Conflict):
    code = "nothing_to_ship"


class NotAPickupOrder(Conflict):
    code = "not_a_pickup_order"


class InvalidPickupCode(InvalidInput):
    code = "invalid_pickup_code"


class LabelsNotBought(Conflict):
    code = "labels_not_bought"


class PickupOrderNotShipped(Conflict):
    code = "pickup_order_not_shipped"


class LabelsBeingBought(Conflict):
    code = "labels_being_bought"


class LocationOperatedByOthers(Conflict):
    """A provider (a 3PL, a supplier) picks, packs and ships at this location."""

    code = "location_operated_by_others"


class FulfillmentAtProvider(Conflict):
    code = "fulfillment_at_provider"
