from orderly.kit.errors import Conflict, Forbidden, InvalidInput


class OrganizationExists(Conflict):
    code = "organization_exists"


class InvalidSlug(InvalidInput):
    code = "invalid_slug"


class RoleAboveYours(Forbidden):
    """Nobody grants a role above their own, or changes or removes one who holds it."""

    code = "role_above_yours"


class LastOwner(Conflict):
    """An organization always keeps an active owner."""

    code = "last_owner"
