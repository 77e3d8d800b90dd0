"""Request dependencies for the caller's identity: the principal behind the API key, and the
permission an endpoint requires of it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.deps import Conn, database
from orderly.kit.errors import Forbidden, Unauthorized
from orderly.tenancy import service as tenancy
from orderly.tenancy.domain import Permission, Principal


async def principal_of(request: Request, conn: AsyncConnection) -> Principal:
    """The caller, from the request's API key; 401 when there is none or it is not valid."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send 'Authorization: Bearer <api key>'")
    principal = await tenancy.authenticate_api_key(
        conn,
        token.strip(),
        known_keys=getattr(request.app.state, "api_keys", None),
    )
    if principal is None:
        raise Unauthorized("the API key is unknown or revoked")
    return principal


async def _principal(request: Request, conn: Conn) -> Principal:
    return await principal_of(request, conn)


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


async def _principal_outside_transaction(request: Request) -> Principal:
    async with database(request).reading() as conn:
        return await principal_of(request, conn)


# The caller, looked up in a read of its own, for an endpoint that runs its own transactions
# around a call to a vendor (docs/architecture.md, "Calls to carriers").
PrincipalOutsideTransaction = Annotated[Principal, Depends(_principal_outside_transaction)]


def authorize(principal: Principal, permission: Permission) -> Principal:
    """The principal, if its role may do this; 403 otherwise."""
    if not principal.can(permission):
        raise Forbidden(f"the role {principal.role.value!r} may not do this ({permission.value})")
    return principal


def require(
    permission: Permission, *, outside_transaction: bool = False
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """The dependency of an endpoint that requires `permission`; `outside_transaction` for an
    endpoint that runs its own transactions (`PrincipalOutsideTransaction`)."""
    if outside_transaction:

        async def dependency_outside(principal: PrincipalOutsideTransaction) -> Principal:
            return authorize(principal, permission)

        return dependency_outside

    async def dependency(principal: CurrentPrincipal) -> Principal:
        return authorize(principal, permission)

    return dependency


Reader = Annotated[Principal, Depends(require(Permission.READ))]
ReaderOutsideTransaction = Annotated[
    Principal, Depends(require(Permission.READ, outside_transaction=True))
]
OrderWriter = Annotated[Principal, Depends(require(Permission.ORDERS_WRITE))]
OrderWriterOutsideTransaction = Annotated[
    Principal, Depends(require(Permission.ORDERS_WRITE, outside_transaction=True))
]
InventoryWriter = Annotated[Principal, Depends(require(Permission.INVENTORY_WRITE))]
InventoryWriterOutsideTransaction = Annotated[
    Principal, Depends(require(Permission.INVENTORY_WRITE, outside_transaction=True))
]
CatalogWriter = Annotated[Principal, Depends(require(Permission.CATALOG_WRITE))]
SettingsWriter = Annotated[Principal, Depends(require(Permission.SETTINGS_WRITE))]
AccessAdmin = Annotated[Principal, Depends(require(Permission.ACCESS_ADMIN))]
