from orderly.kit.errors import Conflict, InvalidInput, NotFound


class LocationNotFound(NotFound):
    code = "location_not_found"


class LocationCodeTaken(Conflict):
    code = "location_code_taken"


class UnknownLocationGroup(InvalidInput):
    code = "unknown_location_group"
