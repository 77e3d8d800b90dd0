"""Organizations and API keys."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.errors import NotFound
from orderly.tenancy import repository
from orderly.tenancy.domain import Principal, Role
from orderly.tenancy.errors import InvalidSlug, OrganizationExists
from orderly.tenancy.key_cache import ApiKeyCache

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
API_KEY_PREFIX = "oly_"


@dataclass(frozen=True)
class NewApiKey:
    id: int
    key: str
    prefix: str
    role: Role


def hash_api_key(key: str) -> bytes:
    # API keys carry 256 bits of entropy, so a plain SHA-256 is as strong as a slow hash here.
    return hashlib.sha256(key.encode()).digest()


async def create_tenant(conn: AsyncConnection, slug: str, name: str | None = None) -> int:
    """Create a tenant with its order-number sequence. An organization is opened whole, with
    what other features give it, by `onboarding.service.create_organization`."""
    if not SLUG.match(slug):
        raise InvalidSlug("slug must be 2-63 lowercase letters, digits or dashes", field="slug")
    org_id = await repository.insert_organization(conn, slug=slug, name=name or slug)
    if org_id is None:
        raise OrganizationExists(f"organization {slug!r} already exists", field="slug")
    await repository.create_order_number_sequence(conn, org_id)
    return org_id


async def organization_id(conn: AsyncConnection, slug: str) -> int:
    org = await repository.find_organization(conn, slug)
    if org is None:
        raise NotFound(f"no organization {slug!r}")
    return int(org["id"])


async def create_api_key(
    conn: AsyncConnection, *, org_id: int, role: Role, name: str = "api key"
) -> NewApiKey:
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    prefix = key[:12]
    key_id = await repository.insert_api_key(
        conn, org_id=org_id, name=name, prefix=prefix, key_hash=hash_api_key(key), role=role.value
    )
    return NewApiKey(id=key_id, key=key, prefix=prefix, role=role)


async def authenticate_api_key(
    conn: AsyncConnection,
    key: str,
    *,
    known_keys: ApiKeyCache | None = None,
) -> Principal | None:
    """The key's principal, or None. A key the process has seen is taken from ``known_keys``
    (tenancy.key_cache); otherwise it is looked up."""
    key_hash = hash_api_key(key)
    known = known_keys.find(key_hash) if known_keys is not None else None
    if known is not None:
        return known
    generation = known_keys.generation if known_keys is not None else 0
    row = await repository.find_active_key(conn, key_hash)
    if row is None:
        return None
    principal = Principal(org_id=row.org_id, role=Role(row.role), actor=f"api_key:{row.prefix}")
    if known_keys is not None:
        known_keys.keep(key_hash, principal, generation=generation)
    return principal


async def location_group_id(conn: AsyncConnection, org_id: int, code: str) -> int | None:
    """The id of the organization's location group with this code, if there is one."""
    return await repository.find_location_group_id(conn, org_id=org_id, code=code)


async def location_group_codes(
    conn: AsyncConnection, org_id: int, ids: Collection[int]
) -> dict[int, str]:
    """Codes of the organization's location groups, by id."""
    if not ids:
        return {}
    return await repository.find_location_group_codes(conn, org_id=org_id, ids=list(set(ids)))


async def fraud_hold_threshold(conn: AsyncConnection, org_id: int) -> int:
    """The fraud score at or above which the organization's orders are held for review."""
    return await repository.fraud_hold_threshold(conn, org_id)


async def set_fraud_hold_threshold(conn: AsyncConnection, org_id: int, threshold: int) -> None:
    await repository.set_fraud_hold_threshold(conn, org_id, threshold)
