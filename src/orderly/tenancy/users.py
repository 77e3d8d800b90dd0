"""Dashboard users: one account per e-mail and organization, argon2id passwords, a role (the
same roles as API keys) and optionally a list of locations the user works at.

Sign-in failures are counted on the user row, so every API process sees them: after
``MAX_FAILED_LOGINS`` failures in a row the account is locked for ``LOCK_MINUTES``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.clock import utcnow
from orderly.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from orderly.tenancy.domain import Principal, Role
from orderly.tenancy.models import organizations, users

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the e-mail is unknown, so that an answer takes as long either way.
_DUMMY_HASH = _hasher.hash("orderly-no-such-user")


class UserExists(Conflict):
    code = "user_exists"


class UserNotFound(NotFound):
    code = "user_not_found"


class InvalidUser(InvalidInput):
    code = "invalid_user"


class SignInFailed(InvalidInput):
    code = "sign_in_failed"
    status = 401
    title = "Sign-in failed"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    org_id: int
    org_slug: str
    email: str
    role: Role
    location_ids: tuple[int, ...]
    active: bool
    created_at: datetime
    last_login_at: datetime | None

    @property
    def principal(self) -> Principal:
        return Principal(org_id=self.org_id, role=self.role, actor=f"user:{self.email}")

    @property
    def limited(self) -> bool:
        """True when the user works at some locations only."""
        return bool(self.location_ids)

    def may_work_at(self, location_id: int) -> bool:
        return not self.location_ids or location_id in self.location_ids


_COLUMNS = (
    users.c.id,
    users.c.org_id,
    organizations.c.slug.label("org_slug"),
    users.c.email,
    users.c.role,
    users.c.location_ids,
    users.c.active,
    users.c.created_at,
    users.c.last_login_at,
)


def _user(row: Any) -> User:
    return User(
        id=row.id,
        org_id=row.org_id,
        org_slug=row.org_slug,
        email=row.email,
        role=Role(row.role),
        location_ids=tuple(row.location_ids),
        active=row.active,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def create_user(
    conn: AsyncConnection,
    *,
    org_id: int,
    email: str,
    password: str,
    role: Role,
    location_ids: Sequence[int] = (),
) -> User:
    email = normalise_email(email)
    if not EMAIL.match(email):
        raise InvalidUser("enter an e-mail address such as ann@example.com", field="email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUser(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    try:
        async with conn.begin_nested():
            user_id = (
                await conn.execute(
                    sa.insert(users)
                    .values(
                        org_id=org_id,
                        email=email,
                        password_hash=hash_password(password),
                        role=role.value,
                        location_ids=sorted(set(location_ids)),
                    )
                    .returning(users.c.id)
                )
            ).scalar_one()
    except IntegrityError:
        raise UserExists(f"a user {email} exists already", field="email") from None
    return await get_user(conn, org_id, user_id)


async def get_user(conn: AsyncConnection, org_id: int, user_id: int) -> User:
    row = (
        await conn.execute(
            sa.select(*_COLUMNS)
            .join(organizations, organizations.c.id == users.c.org_id)
            .where(users.c.org_id == org_id, users.c.id == user_id)
        )
    ).first()
    if row is None:
        raise UserNotFound(f"no user {user_id}")
    return _user(row)


async def active_user(conn: AsyncConnection, user_id: int) -> User | None:
    """The signed-in user of a session, or None when the account is gone or deactivated."""
    row = (
        await conn.execute(
            sa.select(*_COLUMNS)
            .join(organizations, organizations.c.id == users.c.org_id)
            .where(users.c.id == user_id, users.c.active)
        )
    ).first()
    return _user(row) if row is not None else None


async def list_users(conn: AsyncConnection, org_id: int) -> list[User]:
    rows = await conn.execute(
        sa.select(*_COLUMNS)
        .join(organizations, organizations.c.id == users.c.org_id)
        .where(users.c.org_id == org_id)
        .order_by(users.c.email)
    )
    return [_user(r) for r in rows]


async def set_user_active(
    conn: AsyncConnection, principal: Principal, user_id: int, *, active: bool
) -> User:
    target = await get_user(conn, principal.org_id, user_id)
    if not active and principal.actor == f"user:{target.email}":
        raise Forbidden("you cannot deactivate your own account")
    await conn.execute(
        sa.update(users)
        .where(users.c.org_id == principal.org_id, users.c.id == user_id)
        .values(active=active)
    )
    return await get_user(conn, principal.org_id, user_id)


async def find_user_id(conn: AsyncConnection, org_id: int, email: str) -> int | None:
    return (
        await conn.execute(
            sa.select(users.c.id).where(
                users.c.org_id == org_id, users.c.email == normalise_email(email)
            )
        )
    ).scalar_one_or_none()


async def authenticate(conn: AsyncConnection, *, org: str, email: str, password: str) -> User:
    """The user with these credentials, or SignInFailed (the same words whatever was wrong).

    The caller commits even on failure, so that the failure count is kept.
    """
    failed = SignInFailed("the organization, e-mail or password is not right")
    row = (
        await conn.execute(
            sa.select(
                users.c.id,
                users.c.org_id,
                users.c.password_hash,
                users.c.active,
                users.c.locked_until,
            )
            .join(organizations, organizations.c.id == users.c.org_id)
            .where(organizations.c.slug == org.strip(), users.c.email == normalise_email(email))
            .with_for_update(of=users)
        )
    ).first()
    if row is None:
        _verify(_DUMMY_HASH, password)
        raise failed
    now = utcnow()
    if row.locked_until is not None and row.locked_until > now:
        raise SignInFailed(
            "too many failed sign-ins: this account is locked for a few minutes",
            code="account_locked",
        )
    if not _verify(row.password_hash, password) or not row.active:
        await _count_failure(conn, row.id, now)
        raise failed
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = hash_password(password)
    await conn.execute(sa.update(users).where(users.c.id == row.id).values(**values))
    return await get_user(conn, row.org_id, row.id)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _count_failure(conn: AsyncConnection, user_id: int, now: datetime) -> None:
    locked = sa.case(
        (users.c.failed_logins + 1 >= MAX_FAILED_LOGINS, now + timedelta(minutes=LOCK_MINUTES)),
        else_=None,
    )
    await conn.execute(
        sa.update(users)
        .where(users.c.id == user_id)
        .values(
            failed_logins=sa.case(
                (users.c.failed_logins + 1 >= MAX_FAILED_LOGINS, 0),
                else_=users.c.failed_logins + 1,
            ),
            locked_until=locked,
        )
    )
