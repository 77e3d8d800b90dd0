"""Dashboard users: who may change whom, the last owner, and what ends a user's sessions."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.tenancy import service as tenancy
from orderly.tenancy import users
from orderly.tenancy.domain import ROLE_RANK, Role, outranks
from orderly.tenancy.users import User
from tests.factories import Org

PASSWORD = "correct horse battery"


async def make_user(db: Database, org: Org, role: Role) -> User:
    async with db.transaction() as transaction:
        conn = transaction.connection
        return await users.create_user(
            conn,
            org_id=org.id,
            email=f"{role.value}-{secrets.token_hex(3)}@example.com",
            password=PASSWORD,
            role=role,
        )


async def refused(db: Database, change: Callable[[AsyncConnection], Awaitable[object]]) -> str:
    """The code of the error a change is refused with (the change is rolled back)."""
    with pytest.raises(OrderlyError) as error:
        async with db.transaction() as transaction:
            conn = transaction.connection
            await change(conn)
    return error.value.code


async def stored(db: Database, user: User) -> User:
    async with db.transaction() as transaction:
        conn = transaction.connection
        return await users.get_user(conn, user.org_id, user.id)


class TestTheRoleOrder:
    def test_owner_above_admin_above_manager_above_the_rest(self) -> None:
        assert outranks(Role.OWNER, Role.ADMIN)
        assert outranks(Role.ADMIN, Role.MANAGER)
        for role in (Role.FULFILLMENT, Role.SUPPORT, Role.VIEWER, Role.INTEGRATION):
            assert outranks(Role.MANAGER, role)
        assert set(ROLE_RANK) == set(Role)


class TestNobodyActsAboveTheirOwnRole:
    async def test_an_admin_cannot_deactivate_an_owner(self, db: Database, org: Org) -> None:
        owner = await make_user(db, org, Role.OWNER)
        await make_user(db, org, Role.OWNER)  # not the last owner: the rank alone refuses
        admin = await make_user(db, org, Role.ADMIN)

        code = await refused(
            db, lambda c: users.set_user_active(c, admin.principal, owner.id, active=False)
        )

        assert code == "role_above_yours"
        assert (await stored(db, owner)).active

    async def test_an_admin_cannot_demote_an_owner(self, db: Database, org: Org) -> None:
        owner = await make_user(db, org, Role.OWNER)
        await make_user(db, org, Role.OWNER)
        admin = await make_user(db, org, Role.ADMIN)

        code = await refused(
            db, lambda c: users.set_user_role(c, admin.principal, owner.id, role=Role.VIEWER)
        )

        assert code == "role_above_yours"
        assert (await stored(db, owner)).role is Role.OWNER

    async def test_an_admin_cannot_raise_anyone_to_owner(self, db: Database, org: Org) -> None:
        admin = await make_user(db, org, Role.ADMIN)
        viewer = await make_user(db, org, Role.VIEWER)

        code = await refused(
            db, lambda c: users.set_user_role(c, admin.principal, viewer.id, role=Role.OWNER)
        )

        assert code == "role_above_yours"
        assert (await stored(db, viewer)).role is Role.VIEWER

    async def test_an_admin_cannot_create_an_owner(self, db: Database, org: Org) -> None:
        admin = await make_user(db, org, Role.ADMIN)

        code = await refused(
            db,
            lambda c: users.create_user(
                c,
                org_id=org.id,
                email="boss@example.com",
                password=PASSWORD,
                role=Role.OWNER,
                granted_by=admin.principal,
            ),
        )

        assert code == "role_above_yours"
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await users.find_user_id(conn, org.id, "boss@example.com") is None

    async def test_an_admin_manages_admins_and_those_below(self, db: Database, org: Org) -> None:
        admin = await make_user(db, org, Role.ADMIN)
        other = await make_user(db, org, Role.ADMIN)

        async with db.transaction() as transaction:
            conn = transaction.connection
            await users.set_user_role(conn, admin.principal, other.id, role=Role.MANAGER)
            await users.set_user_active(conn, admin.principal, other.id, active=False)

        after = await stored(db, other)
        assert after.role is Role.MANAGER and not after.active


class TestTheLastOwnerStays:
    async def test_cannot_be_deactivated(self, db: Database, org: Org) -> None:
        owner = await make_user(db, org, Role.OWNER)
        other = await make_user(db, org, Role.OWNER)
        async with db.transaction() as transaction:
            conn = transaction.connection
            await users.set_user_active(conn, owner.principal, other.id, active=False)

        code = await refused(
            db, lambda c: users.set_user_active(c, other.principal, owner.id, active=False)
        )

        assert code == "last_owner"
        assert (await stored(db, owner)).active

    async def test_cannot_demote_themselves(self, db: Database, org: Org) -> None:
        owner = await make_user(db, org, Role.OWNER)

        code = await refused(
            db, lambda c: users.set_user_role(c, owner.principal, owner.id, role=Role.ADMIN)
        )

        assert code == "last_owner"
        assert (await stored(db, owner)).role is Role.OWNER

    async def test_an_owner_key_counts_as_another_owner(self, db: Database, org: Org) -> None:
        owner = await make_user(db, org, Role.OWNER)
        async with db.transaction() as transaction:
            conn = transaction.connection
            await tenancy.create_api_key(conn, org_id=org.id, role=Role.OWNER)
            await users.set_user_role(conn, owner.principal, owner.id, role=Role.ADMIN)

        assert (await stored(db, owner)).role is Role.ADMIN


class TestWhatEndsSessions:
    async def test_deactivation_a_role_change_and_a_password_change(
        self, db: Database, org: Org
    ) -> None:
        admin = await make_user(db, org, Role.ADMIN)
        user = await make_user(db, org, Role.SUPPORT)
        versions = [user.session_version]
        async with db.transaction() as transaction:
            conn = transaction.connection
            await users.set_user_role(conn, admin.principal, user.id, role=Role.VIEWER)
        versions.append((await stored(db, user)).session_version)
        async with db.transaction() as transaction:
            conn = transaction.connection
            await users.change_password(conn, user, current=PASSWORD, new="another long one")
        versions.append((await stored(db, user)).session_version)
        async with db.transaction() as transaction:
            conn = transaction.connection
            await users.set_user_active(conn, admin.principal, user.id, active=False)
        versions.append((await stored(db, user)).session_version)

        assert versions == sorted(set(versions)), versions

    async def test_a_wrong_current_password_changes_nothing(self, db: Database, org: Org) -> None:
        user = await make_user(db, org, Role.SUPPORT)

        code = await refused(
            db, lambda c: users.change_password(c, user, current="nope", new="another long one")
        )

        assert code == "wrong_password"
        assert (await stored(db, user)).session_version == user.session_version
        async with db.transaction() as transaction:
            conn = transaction.connection
            await users.authenticate(conn, org=org.slug, email=user.email, password=PASSWORD)
