"""Dashboard users: one account per e-mail and organization, an argon2id password, a role and
optionally the locations they work at. Raising ``session_version`` ends all their sessions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.clock import utcnow
from orderly.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from orderly.tenancy import repository
from orderly.tenancy.domain import Principal, Role
from orderly.tenancy.errors import LastOwner, RoleAboveYours
from orderly.tenancy.models import organizations, users

MIN_PASSWORD_LENGTH = 10
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the e-mail is unknown, so that an answer takes as long either way;
# made at the first sign-in, not when a process starts (a hash takes a tenth of a second).
_dummy_hash: str | None = None


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Hash and verify with ``hasher`` from now on; a stored hash made with other parameters is
    made again at its next sign-in. The test suite uses argon2id with cheaper parameters."""
    global _hasher, _dummy_hash
    _hasher = hasher
    _dummy_hash = None


def _hash_of_no_user() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("orderly-no-such-user")
    return _dummy_hash


class UserExists(Conflict):
    code = "user_exists"


class UserNotFound(NotFound):
    code = "user_not_found"


class InvalidUser(InvalidInput):
    code = "invalid_user"


class WrongPassword(InvalidUser):
    code = "wrong_password"


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
    session_version: int

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
    users.c.session_version,
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
        session_version=row.session_version,
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
    granted_by: Principal | None = None,
) -> User:
    """A new user; with `granted_by`, only of a role that principal may hand out."""
    if granted_by is not None:
        _may_grant(granted_by, role)
    email = normalise_email(email)
    if not EMAIL.match(email):
        raise InvalidUser("enter an e-mail address such as ann@example.com", field="email")
    _check_password(password)
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
    """Activate or deactivate a user; deactivation ends their sessions at once."""
    target = await get_user(conn, principal.org_id, user_id)
    if not active and principal.actor == f"user:{target.email}":
        raise Forbidden("you cannot deactivate your own account")
    _may_change(principal, target)
    if not active and target.active:
        await _keep_an_owner(conn, target)
    await _update(conn, target, active=active, ends_sessions=not active)
    return await get_user(conn, principal.org_id, user_id)


async def set_user_role(
    conn: AsyncConnection, principal: Principal, user_id: int, *, role: Role
) -> User:
    """Give a user another role; their sessions end, so the new role applies from sign-in."""
    target = await get_user(conn, principal.org_id, user_id)
    _may_change(principal, target)
    _may_grant(principal, role)
    if role is target.role:
        return target
    if target.active and target.role is Role.OWNER:
        await _keep_an_owner(conn, target)
    await _update(conn, target, role=role.value, ends_sessions=True)
    return await get_user(conn, principal.org_id, user_id)


async def change_password(conn: AsyncConnection, user: User, *, current: str, new: str) -> User:
    """A user's own password change, which ends every other session of theirs."""
    _check_password(new, field="new_password")
    stored = (
        await conn.execute(sa.select(users.c.password_hash).where(users.c.id == user.id))
    ).scalar_one()
    if not verify_password(stored, current):
        raise WrongPassword("the current password is not right", field="current_password")
    await _update(conn, user, password_hash=hash_password(new), ends_sessions=True)
    return await get_user(conn, user.org_id, user.id)


async def end_sessions(conn: AsyncConnection, user: User) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    await _update(conn, user, ends_sessions=True)


def _check_password(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUser(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters", field=field
        )


def _may_grant(principal: Principal, role: Role) -> None:
    if not principal.may_manage(role):
        raise RoleAboveYours(
            f"your role ({principal.role.value}) may not make a user {role.value}", field="role"
        )


def _may_change(principal: Principal, target: User) -> None:
    if not principal.may_manage(target.role):
        raise RoleAboveYours(
            f"your role ({principal.role.value}) may not change a user who is {target.role.value}"
        )


async def _keep_an_owner(conn: AsyncConnection, target: User) -> None:
    if target.role is Role.OWNER and not await repository.count_other_owners(
        conn, target.org_id, except_user=target.id
    ):
        raise LastOwner(f"{target.email} is the organization's last owner: make another first")


async def _update(
    conn: AsyncConnection, target: User, *, ends_sessions: bool, **values: Any
) -> None:
    if ends_sessions:
        values["session_version"] = users.c.session_version + 1
    await conn.execute(
        sa.update(users)
        .where(users.c.org_id == target.org_id, users.c.id == target.id)
        .values(**values)
    )


async def find_user_id(conn: AsyncConnection, org_id: int, email: str) -> int | None:
    return (
        await conn.execute(
            sa.select(users.c.id).where(
                users.c.org_id == org_id, users.c.email == normalise_email(email)
            )
        )
    ).scalar_one_or_none()


async def authenticate(conn: AsyncConnection, *, org: str, email: str, password: str) -> User:
    """The active user with these credentials, or SignInFailed: the same words and about the
    same work (one argon2 verification) whether the e-mail is unknown, the password wrong or
    the account deactivated. Throttling is tenancy.sign_in's business."""
    row = (
        await conn.execute(
            sa.select(users.c.id, users.c.org_id, users.c.password_hash, users.c.active)
            .join(organizations, organizations.c.id == users.c.org_id)
            .where(organizations.c.slug == org.strip(), users.c.email == normalise_email(email))
        )
    ).first()
    stored = row.password_hash if row is not None else _hash_of_no_user()
    verified = verify_password(stored, password)
    if row is None or not verified or not row.active:
        raise SignInFailed("the organization, e-mail or password is not right")
    values: dict[str, Any] = {"last_login_at": utcnow()}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = hash_password(password)
    await conn.execute(sa.update(users).where(users.c.id == row.id).values(**values))
    return await get_user(conn, row.org_id, row.id)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
