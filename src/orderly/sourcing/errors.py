from orderly.kit.errors import InvalidInput, NotFound


class RoutingChannelNotFound(NotFound):
    code = "channel_not_found"


class SimulationOrderNotFound(NotFound):
    code = "order_not_found"


class UnknownSimulationSku(InvalidInput):
    code = "unknown_sku"


class UnknownPickupLocation(InvalidInput):
    code = "pickup_not_available"
