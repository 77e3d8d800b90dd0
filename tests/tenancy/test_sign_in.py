"""Sign-in throttling: per client, never a lock-out of the real user."""

from __future__ import annotations

import secrets

import pytest

from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.tenancy import sign_in, users
from orderly.tenancy.domain import Role
from orderly.tenancy.users import User
from tests.factories import Org
from tests.tenancy.test_users import PASSWORD, make_user


def a_client() -> str:
    """An address of its own for each test: the counts are per address, over every tenant."""
    return f"2001:db8:{secrets.token_hex(2)}:{secrets.token_hex(2)}::1"


async def attempt(db: Database, org: Org, *, client: str, email: str, password: str) -> User | str:
    """The signed-in user, or the code the attempt was refused with. Like the sign-in page,
    it commits either way, so that a failure is counted."""
    async with db.transaction() as transaction:
        conn = transaction.connection
        try:
            return await sign_in.sign_in(
                conn, client=client, org=org.slug, email=email, password=password
            )
        except OrderlyError as error:
            return error.code


async def fail(db: Database, org: Org, times: int, *, client: str, email: str) -> list[str]:
    return [
        str(await attempt(db, org, client=client, email=email, password="guess"))
        for _ in range(times)
    ]


class TestAStrangerGuessingOneAccount:
    async def test_is_stopped_but_the_real_user_still_signs_in(
        self, db: Database, org: Org
    ) -> None:
        user = await make_user(db, org, Role.ADMIN)
        stranger, owner_desk = a_client(), a_client()

        guesses = await fail(
            db, org, sign_in.MAX_ACCOUNT_FAILURES + 1, client=stranger, email=user.email
        )
        right_from_stranger = await attempt(
            db, org, client=stranger, email=user.email, password=PASSWORD
        )
        right_from_owner = await attempt(
            db, org, client=owner_desk, email=user.email, password=PASSWORD
        )

        assert guesses[:-1] == ["sign_in_failed"] * sign_in.MAX_ACCOUNT_FAILURES
        assert guesses[-1] == "sign_in_throttled"
        assert right_from_stranger == "sign_in_throttled"
        assert isinstance(right_from_owner, User) and right_from_owner.id == user.id

    async def test_an_unknown_e_mail_is_answered_exactly_alike(
        self, db: Database, org: Org
    ) -> None:
        user = await make_user(db, org, Role.ADMIN)
        stranger = a_client()

        real = await fail(
            db, org, sign_in.MAX_ACCOUNT_FAILURES + 1, client=stranger, email=user.email
        )
        unknown = await fail(
            db, org, sign_in.MAX_ACCOUNT_FAILURES + 1, client=stranger, email="nobody@example.com"
        )

        assert real == unknown


class TestAClientGuessingManyAccounts:
    @pytest.mark.slow
    async def test_is_stopped_for_every_account(self, db: Database, org: Org) -> None:
        user = await make_user(db, org, Role.ADMIN)
        guesser = a_client()
        for n in range(sign_in.MAX_CLIENT_FAILURES):
            await fail(db, org, 1, client=guesser, email=f"guess-{n}@example.com")

        blocked = await attempt(db, org, client=guesser, email=user.email, password=PASSWORD)
        elsewhere = await attempt(db, org, client=a_client(), email=user.email, password=PASSWORD)

        assert blocked == "sign_in_throttled"
        assert isinstance(elsewhere, User)


async def test_a_new_address_in_the_same_ipv6_64_is_the_same_client(db: Database, org: Org) -> None:
    user = await make_user(db, org, Role.SUPPORT)
    network = a_client().removesuffix("::1")

    guesses = [
        str(await attempt(db, org, client=f"{network}::{n:x}", email=user.email, password="x"))
        for n in range(sign_in.MAX_ACCOUNT_FAILURES + 1)
    ]

    assert guesses[-1] == "sign_in_throttled"


async def test_guessing_the_current_password_of_a_session_is_throttled(
    db: Database, org: Org
) -> None:
    user = await make_user(db, org, Role.SUPPORT)
    holder = a_client()

    async def change(current: str, client: str) -> str:
        async with db.transaction() as transaction:
            conn = transaction.connection
            try:
                await sign_in.change_password(
                    conn, client=client, user=user, current=current, new="a new long password"
                )
            except OrderlyError as error:
                return error.code
        return "changed"

    guesses = [await change("guess", holder) for _ in range(sign_in.MAX_ACCOUNT_FAILURES)]
    right_from_holder = await change(PASSWORD, holder)
    right_elsewhere = await change(PASSWORD, a_client())

    assert guesses == ["wrong_password"] * sign_in.MAX_ACCOUNT_FAILURES
    assert right_from_holder == "sign_in_throttled"
    assert right_elsewhere == "changed"


async def test_a_sign_in_clears_the_clients_failures_on_that_account(
    db: Database, org: Org
) -> None:
    user = await make_user(db, org, Role.SUPPORT)
    client = a_client()
    await fail(db, org, sign_in.MAX_ACCOUNT_FAILURES - 1, client=client, email=user.email)
    assert isinstance(
        await attempt(db, org, client=client, email=user.email, password=PASSWORD), User
    )

    again = await fail(db, org, sign_in.MAX_ACCOUNT_FAILURES, client=client, email=user.email)

    assert again == ["sign_in_failed"] * sign_in.MAX_ACCOUNT_FAILURES


async def test_a_deactivated_account_is_answered_like_a_wrong_password(
    db: Database, org: Org
) -> None:
    admin = await make_user(db, org, Role.ADMIN)
    user = await make_user(db, org, Role.SUPPORT)
    async with db.transaction() as transaction:
        conn = transaction.connection
        await users.set_user_active(conn, admin.principal, user.id, active=False)

    with pytest.raises(users.SignInFailed) as inactive:
        async with db.transaction() as transaction:
            conn = transaction.connection
            await users.authenticate(conn, org=org.slug, email=user.email, password=PASSWORD)
    with pytest.raises(users.SignInFailed) as unknown:
        async with db.transaction() as transaction:
            conn = transaction.connection
            await users.authenticate(conn, org=org.slug, email="no@example.com", password=PASSWORD)

    assert inactive.value.detail == unknown.value.detail
    assert inactive.value.code == unknown.value.code == "sign_in_failed"
