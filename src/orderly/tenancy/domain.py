"""Roles and what each may do. Pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "manager"
    FULFILLMENT = "fulfillment"
    SUPPORT = "support"
    VIEWER = "viewer"
    INTEGRATION = "integration"


class Permission(StrEnum):
    READ = "read"
    ORDERS_WRITE = "orders:write"
    INVENTORY_WRITE = "inventory:write"
    CATALOG_WRITE = "catalog:write"
    SETTINGS_WRITE = "settings:write"
    ACCESS_ADMIN = "access:admin"


_ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL,
    Role.MANAGER: frozenset(
        {
            Permission.READ,
            Permission.ORDERS_WRITE,
            Permission.INVENTORY_WRITE,
            Permission.CATALOG_WRITE,
            Permission.SETTINGS_WRITE,
        }
    ),
    Role.FULFILLMENT: frozenset({Permission.READ, Permission.INVENTORY_WRITE}),
    Role.SUPPORT: frozenset({Permission.READ, Permission.ORDERS_WRITE}),
    Role.VIEWER: frozenset({Permission.READ}),
    # A connected shop or marketplace: pushes orders, stock and catalog, reads back.
    Role.INTEGRATION: frozenset(
        {
            Permission.READ,
            Permission.ORDERS_WRITE,
            Permission.INVENTORY_WRITE,
            Permission.CATALOG_WRITE,
        }
    ),
}


# Who stands above whom, the one place that says so. Roles of one rank are peers: they do
# different work, and none may hand out, change or remove access above their own rank.
ROLE_RANK: dict[Role, int] = {
    Role.OWNER: 3,
    Role.ADMIN: 2,
    Role.MANAGER: 1,
    Role.FULFILLMENT: 0,
    Role.SUPPORT: 0,
    Role.VIEWER: 0,
    Role.INTEGRATION: 0,
}


def outranks(role: Role, other: Role) -> bool:
    return ROLE_RANK[role] > ROLE_RANK[other]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API key or a user, always inside one organization."""

    org_id: int
    role: Role
    actor: str

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def may_manage(self, role: Role) -> bool:
        """May grant this role, or change or remove a user or key that holds it."""
        return not outranks(role, self.role)
