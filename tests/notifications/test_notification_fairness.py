"""One organization's messages never hold up another's: a template that fails on a real order
fails that message only, and a backlog of one organization waits its turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.notifications import repository, sending
from orderly.notifications.models import notifications
from orderly.notifications.tasks import dispatch_all
from orderly.settings import Settings
from tests.factories import Org, make_org, place_order
from tests.fulfillment.helpers import setup_warehouses
from tests.notifications.conftest import Mailbox
from tests.notifications.helpers import messages

# Messages of these tests are made due at this time, long past, and the run is told it is a
# minute later: messages other tests left queued are not due yet, so each run sees only these.
PAST = datetime(2000, 1, 1, tzinfo=UTC)

# Renders on the sample order (two lines) and divides by zero on an order of one line.
POISONED = {
    "subject": "Order {{ order.number }}",
    "body_text": "{{ 100 // (order.lines|length - 1) }} per line",
    "body_html": "<p>{{ order.number }}</p>",
}


async def queue_confirmation(db: Database, org: Org, at: datetime) -> int:
    """Place an order of one line and queue its confirmation, due at `at`; returns the order."""
    await setup_warehouses(db, org, {"WH1": 5})
    placed = await place_order(
        db, org, [("MUG", 1)], customer={"email": f"{org.slug}@example.com", "name": "Ann"}
    )
    await dispatch_all(db)
    async with db.transaction() as transaction:
        conn = transaction.connection
        await conn.execute(
            sa.update(notifications)
            .where(notifications.c.org_id == org.id)
            .values(next_attempt_at=at)
        )
    return int(placed["id"])


class TestOneMessagesFailureStaysWithIt:
    async def test_a_poisoned_template_does_not_stop_another_organizations_mail(
        self,
        client: httpx.AsyncClient,
        db: Database,
        smtp_settings: Settings,
        smtp_server: tuple[Mailbox, int],
    ) -> None:
        poisoned, healthy = await make_org(db), await make_org(db)
        saved = await client.put(
            "/v1/notification-templates/order_confirmed", json=POISONED, headers=poisoned.headers
        )
        assert saved.status_code == 200, saved.text  # it renders on the sample order
        await queue_confirmation(db, poisoned, PAST)
        await queue_confirmation(db, healthy, PAST + timedelta(seconds=1))

        handled = await sending.send_due_notifications(
            db, smtp_settings, now=PAST + timedelta(minutes=1)
        )

        assert handled == 2
        [failed] = await messages(client, poisoned)
        assert failed["status"] == "failed"
        assert failed["last_error"].startswith("template (body_text): ZeroDivisionError")
        [sent] = await messages(client, healthy)
        assert sent["status"] == "sent"
        assert len(smtp_server[0].to(f"{healthy.slug}@example.com")) == 1
        assert smtp_server[0].to(f"{poisoned.slug}@example.com") == []

    async def test_a_message_that_cannot_be_composed_is_tried_later_and_the_run_goes_on(
        self, client: httpx.AsyncClient, db: Database, eml_settings: Settings
    ) -> None:
        broken, healthy = await make_org(db), await make_org(db)
        order_id = await queue_confirmation(db, broken, PAST)
        async with (
            db.transaction() as transaction
        ):  # a row no release of Orderly knows how to write
            conn = transaction.connection
            await conn.execute(
                sa.update(notifications)
                .where(notifications.c.org_id == broken.id, notifications.c.order_id == order_id)
                .values(kind="birthday")
            )
        await queue_confirmation(db, healthy, PAST + timedelta(seconds=1))

        handled = await sending.send_due_notifications(
            db, eml_settings, now=PAST + timedelta(minutes=1)
        )

        assert handled == 2
        async with db.transaction() as transaction:  # the API lists only the kinds it knows
            conn = transaction.connection
            [retried] = (
                await conn.execute(
                    sa.select(notifications).where(notifications.c.org_id == broken.id)
                )
            ).mappings()
        assert retried["status"] == "queued" and retried["attempts"] == 1
        assert retried["last_error"] == "could not be composed: ValueError"
        [sent] = await messages(client, healthy)
        assert sent["status"] == "sent"


class TestOrganizationsTakeTurns:
    async def test_a_backlog_does_not_delay_another_organization_past_one_round(
        self, client: httpx.AsyncClient, db: Database, eml_settings: Settings
    ) -> None:
        busy, quiet = await make_org(db), await make_org(db)
        order_id = await queue_confirmation(db, busy, PAST)
        backlog = 2 * sending.PER_ORGANIZATION
        async with db.transaction() as transaction:
            conn = transaction.connection
            await repository.add_notifications(
                conn,
                [
                    {
                        "org_id": busy.id,
                        "order_id": order_id,
                        "event_id": 10**12 + n,
                        "kind": "shipped",
                        "next_attempt_at": PAST + timedelta(seconds=n),
                    }
                    for n in range(backlog)
                ],
            )
        await queue_confirmation(db, quiet, PAST + timedelta(minutes=1))

        handled = await sending.send_due_notifications(
            db, eml_settings, now=PAST + timedelta(minutes=2), limit=sending.PER_ORGANIZATION + 1
        )

        assert handled == sending.PER_ORGANIZATION + 1
        [quiet_message] = await messages(client, quiet)
        assert quiet_message["status"] == "sent"
        waiting = await messages(client, busy, status="queued", limit=100)
        assert len(waiting) == backlog + 1 - sending.PER_ORGANIZATION
