"""Dashboard sign-in, throttled so that no one can lock another out: failures are counted per
client (its address, or its IPv6 /64) and per client and account, never per account alone."""

from __future__ import annotations

import hashlib
import math

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.client_address import client_network
from orderly.kit.clock import utcnow
from orderly.kit.errors import OrderlyError
from orderly.tenancy import users
from orderly.tenancy.models import sign_in_failures
from orderly.tenancy.users import User

WINDOW_MINUTES = 15
# Failures a client may make in a window, over every account it tries.
MAX_CLIENT_FAILURES = 30
# Failures a client may make in a window against one account.
MAX_ACCOUNT_FAILURES = 5


class SignInThrottled(OrderlyError):
    code = "sign_in_throttled"
    status = 429
    title = "Too many sign-ins"


async def sign_in(
    conn: AsyncConnection, *, client: str, org: str, email: str, password: str
) -> User:
    """The user, or SignInFailed (counted against this client), or SignInThrottled: a client
    past a limit is refused until its window ends, even with the right password, while every
    other client signs in as before. The caller commits even on failure, to keep the count."""
    window, keys = await _admit(conn, client, org, email)
    try:
        user = await users.authenticate(conn, org=org, email=email, password=password)
    except users.SignInFailed:
        await _count_failure(conn, window, keys=keys)
        raise
    await conn.execute(sa.delete(sign_in_failures).where(sign_in_failures.c.key == keys[1]))
    return user


async def change_password(
    conn: AsyncConnection, *, client: str, user: User, current: str, new: str
) -> User:
    """A user's own password change. A wrong current password counts as a failed sign-in, so
    that whoever holds a session cannot guess it; the caller commits even on failure."""
    window, keys = await _admit(conn, client, user.org_slug, user.email)
    try:
        return await users.change_password(conn, user, current=current, new=new)
    except users.WrongPassword:
        await _count_failure(conn, window, keys=keys)
        raise


async def _admit(
    conn: AsyncConnection, client: str, org: str, email: str
) -> tuple[int, tuple[str, str]]:
    """The current window and this client's keys, or SignInThrottled."""
    now = utcnow().timestamp()
    window = int(now // (WINDOW_MINUTES * 60))
    client_key, account_key = _keys(client, org, email)
    if await _over_limit(conn, window, client_key=client_key, account_key=account_key):
        throttled = SignInThrottled(
            f"too many failed sign-ins from here: try again in {WINDOW_MINUTES} minutes or less"
        )
        throttled.retry_after = max(1, math.ceil((window + 1) * WINDOW_MINUTES * 60 - now))
        raise throttled
    return window, (client_key, account_key)


def _keys(client: str, org: str, email: str) -> tuple[str, str]:
    account = f"{org.strip()}\n{users.normalise_email(email)}".encode()
    network = client_network(client)
    return f"client:{network}", f"account:{network}:{hashlib.sha256(account).hexdigest()[:32]}"


async def _over_limit(
    conn: AsyncConnection, window: int, *, client_key: str, account_key: str
) -> bool:
    rows = await conn.execute(
        sa.select(sign_in_failures.c.key, sign_in_failures.c.failures).where(
            sign_in_failures.c.key.in_((client_key, account_key)),
            sign_in_failures.c.window == window,
        )
    )
    counts: dict[str, int] = {row.key: row.failures for row in rows}
    return (
        counts.get(client_key, 0) >= MAX_CLIENT_FAILURES
        or counts.get(account_key, 0) >= MAX_ACCOUNT_FAILURES
    )


async def _count_failure(conn: AsyncConnection, window: int, *, keys: tuple[str, ...]) -> None:
    counted = insert(sign_in_failures).values(
        [{"key": k, "window": window, "failures": 1} for k in keys]
    )
    await conn.execute(
        counted.on_conflict_do_update(
            index_elements=[sign_in_failures.c.key, sign_in_failures.c.window],
            set_={"failures": sign_in_failures.c.failures + 1},
        )
    )
    # Past windows count for nothing; dropping them keeps the table to the current window.
    await conn.execute(sa.delete(sign_in_failures).where(sign_in_failures.c.window < window))
