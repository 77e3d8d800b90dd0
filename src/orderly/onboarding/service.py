"""Opening an organization, above tenancy and the features that give it its defaults."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.tenancy import service as tenancy


async def create_organization(conn: AsyncConnection, slug: str, name: str | None = None) -> int:
    """Create a tenant with its order-number sequence and the default `web` channel."""
    org_id = await tenancy.create_tenant(conn, slug, name)
    await channels.create_default_channel(conn, org_id)
    return org_id
