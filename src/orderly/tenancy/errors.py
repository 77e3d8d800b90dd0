from orderly.kit.errors import Conflict, InvalidInput


class OrganizationExists(Conflict):
    code = "organization_exists"


class InvalidSlug(InvalidInput):
    code = "invalid_slug"
