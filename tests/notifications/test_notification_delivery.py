"""Every kind of customer message, driven by real order events and delivered to a real SMTP
server; the .eml fallback; no duplicates; a sender killed mid-send."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import sys
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.notifications import mailer, outbox, reminders, sending
from orderly.notifications.models import notifications
from orderly.notifications.tasks import dispatch_all
from orderly.orders import timeline as order_timeline
from orderly.settings import Settings
from orderly.shipping import service as shipping
from tests.factories import Org, create_location, place_order, receive_stock
from tests.fulfillment.helpers import act, confirm, fulfillment_orders, ok, pick, setup_warehouses
from tests.notifications.conftest import Mailbox, text_part
from tests.notifications.helpers import messages, run_mail
from tests.shipping.factories import event, push, webhook


def customer(org: Org) -> dict[str, str]:
    return {"email": f"{org.slug}@example.com", "name": "Ann Lee"}


async def shipped_order(client: httpx.AsyncClient, db: Database, org: Org) -> tuple[int, str]:
    """An order shipped with a demo carrier, then out for delivery and delivered."""
    await setup_warehouses(db, org, {"WH1": 5})
    async with db.transaction() as transaction:
        conn = transaction.connection
        await shipping.install_demo_carriers(conn, org.id)
    placed = await place_order(db, org, [("MUG", 2)], customer=customer(org))
    [fo] = await fulfillment_orders(client, org, placed["id"])
    await ok(await act(client, org, fo["id"], "accept"))
    await confirm(client, org, (await pick(client, org, "WH1"))["id"])
    await ok(await act(client, org, fo["id"], "pack"))
    shipped = await ok(await act(client, org, fo["id"], "ship"))
    number = shipped["parcels"][0]["tracking_number"]
    token, secret = await webhook(client, org)
    pushed = await push(
        client,
        token,
        secret,
        [
            event(number, "out_for_delivery", "2026-11-24T08:00:00Z"),
            event(number, "delivered", "2026-11-24T15:00:00Z"),
        ],
    )
    assert pushed.status_code in (200, 202), pushed.text
    return placed["id"], number


async def pickup_order(db: Database, client: httpx.AsyncClient, org: Org) -> tuple[int, str]:
    await create_location(
        db, org, "ST1", city="Boston", kind="store", capabilities=("pickup", "ship")
    )
    await receive_stock(db, org, "MUG", "ST1", 3)
    placed = await place_order(
        db,
        org,
        [("MUG", 1)],
        delivery_method="pickup",
        pickup_location="ST1",
        customer=customer(org),
    )
    [fo] = await fulfillment_orders(client, org, placed["id"])
    await ok(await act(client, org, fo["id"], "accept"))
    await pick(client, org, "ST1", fulfillment_order_ids=[fo["id"]])
    ready = await ok(await act(client, org, fo["id"], "ready-for-pickup"))
    return placed["id"], str(ready["pickup_code"])


async def return_and_refund(db: Database, org: Org, order_id: int) -> None:
    """The events the returns feature appends when it authorises a return and refunds it."""
    async with db.transaction() as transaction:
        conn = transaction.connection
        await order_timeline.append_events(
            conn,
            org.id,
            order_id,
            [
                (
                    "return.authorized",
                    {
                        "number": "RMA-7",
                        "label_url": "https://labels.example/RMA-7.pdf",
                        "tracking_number": "RT0000777",
                    },
                ),
                ("refund.issued", {"amount": "39.98", "currency": "USD"}),
            ],
            "test",
        )


class TestEveryKindOverSmtp:
    async def test_each_message_reaches_the_smtp_server(
        self,
        client: httpx.AsyncClient,
        db: Database,
        org: Org,
        smtp_settings: Settings,
        smtp_server: tuple[Mailbox, int],
    ) -> None:
        mailbox = smtp_server[0]
        shipped_id, tracking_number = await shipped_order(client, db, org)
        pickup_id, code = await pickup_order(db, client, org)
        await return_and_refund(db, org, shipped_id)
        async with db.transaction() as transaction:
            conn = transaction.connection
            await outbox.dispatch_events(conn)
            reminded = await reminders.queue_pickup_reminders(conn, utcnow() + timedelta(days=4.5))
        assert reminded >= 1

        await run_mail(db, smtp_settings, org)

        sent = await messages(client, org)
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for m in sent:
            by_kind.setdefault(m["kind"], []).append(m)
        assert set(by_kind) == {
            "order_confirmed",
            "shipped",
            "out_for_delivery",
            "delivered",
            "ready_for_pickup",
            "pickup_expiring",
            "return_authorized",
            "refund_issued",
        }
        assert {m["status"] for m in sent} == {"sent"}
        assert len(by_kind["order_confirmed"]) == 2  # one per order
        assert len(by_kind["pickup_expiring"]) == 1

        inbox = {m["Subject"]: m for m in mailbox.to(customer(org)["email"])}
        assert len(inbox) == len(sent)
        shipped_mail = inbox[by_kind["shipped"][0]["subject"]]
        link = f"https://shop.example/track/{tracking_number}"
        assert link in text_part(shipped_mail)
        assert f'href="{link}"' in text_part(shipped_mail, "html")
        assert shipped_mail["From"] == "Northwind <orders@northwind.example>"
        notification_id = by_kind["shipped"][0]["id"]
        assert shipped_mail["Message-ID"] == mailer.message_id(
            notification_id, org.id, smtp_settings.smtp_from
        )
        for kind in ("ready_for_pickup", "pickup_expiring"):
            mail = inbox[by_kind[kind][0]["subject"]]
            assert code in text_part(mail) and code in text_part(mail, "html")
            assert by_kind[kind][0]["order_id"] == pickup_id
            # The customer got the code; the stored copy of the message withholds it.
            kept = await client.get(
                f"/v1/notifications/{by_kind[kind][0]['id']}", headers=org.headers
            )
            assert kept.status_code == 200
            assert code not in kept.text and "sent to the customer only" in kept.text
        rma = inbox[by_kind["return_authorized"][0]["subject"]]
        assert "https://labels.example/RMA-7.pdf" in text_part(rma)
        assert "39.98 USD" in inbox[by_kind["refund_issued"][0]["subject"]]["Subject"]
        assert "out for delivery" in by_kind["out_for_delivery"][0]["subject"]

    async def test_the_html_part_escapes_customer_input(
        self, db: Database, org: Org, smtp_settings: Settings, smtp_server: tuple[Mailbox, int]
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        who = {"email": f"{org.slug}@example.com", "name": "<script>alert(1)</script>"}
        await place_order(db, org, [("MUG", 1)], customer=who)
        await run_mail(db, smtp_settings, org)
        [mail] = smtp_server[0].to(who["email"])
        assert "<script>" not in text_part(mail, "html")
        assert "&lt;script&gt;" in text_part(mail, "html")
        assert mail.get_content_type() == "multipart/alternative"


class TestNoDuplicates:
    async def test_dispatching_the_same_events_twice_sends_once(
        self,
        client: httpx.AsyncClient,
        db: Database,
        org: Org,
        smtp_settings: Settings,
        smtp_server: tuple[Mailbox, int],
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(db, org, [("MUG", 1)], customer=customer(org))
        await run_mail(db, smtp_settings, org)
        await run_mail(db, smtp_settings, org)
        async with db.transaction() as transaction:  # the very same events, handed over again
            conn = transaction.connection
            events = (
                await conn.execute(
                    sa.text(
                        "SELECT id, org_id, order_id, type, data, created_at FROM order_events "
                        "WHERE order_id = :id"
                    ),
                    {"id": placed["id"]},
                )
            ).mappings()
            await outbox.dispatch(conn, [dict(e) for e in events])
        await run_mail(db, smtp_settings, org)
        assert len(await messages(client, org)) == 1
        assert len(smtp_server[0].to(customer(org)["email"])) == 1

    async def test_a_sender_killed_mid_send_is_followed_by_exactly_one_message(
        self,
        client: httpx.AsyncClient,
        db: Database,
        org: Org,
        smtp_settings: Settings,
        smtp_server: tuple[Mailbox, int],
    ) -> None:
        mailbox = smtp_server[0]
        await setup_warehouses(db, org, {"WH1": 5})
        await place_order(db, org, [("MUG", 1)], customer=customer(org))
        await dispatch_all(db)
        mailbox.stalled.clear()
        mailbox.stall = True
        sender = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            KILLED_SENDER,
            str(org.id),
            env={
                **os.environ,
                "ORDERLY_DATABASE_URL": db.url,
                "ORDERLY_SMTP_HOST": "127.0.0.1",
                "ORDERLY_SMTP_PORT": str(smtp_settings.smtp_port),
                "ORDERLY_SMTP_STARTTLS": "false",
                "ORDERLY_DATA_DIR": str(smtp_settings.data_dir),
            },
        )
        try:
            assert await asyncio.to_thread(mailbox.stalled.wait, 60), "the sender never sent"
        finally:
            sender.send_signal(signal.SIGKILL)
            await sender.wait()
        assert mailbox.to(customer(org)["email"]) == []
        [queued] = await messages(client, org)
        assert queued["status"] == "queued" and queued["attempts"] == 0

        await sending.send_due_notifications(db, smtp_settings, org_id=org.id)
        [sent] = await messages(client, org)
        assert sent["status"] == "sent" and sent["attempts"] == 1
        assert len(mailbox.to(customer(org)["email"])) == 1


KILLED_SENDER = """
import asyncio, sys
from orderly.kit.db import Database
from orderly.notifications.sending import send_due_notifications
from orderly.settings import Settings

async def main() -> None:
    settings = Settings()
    database = Database(settings.database_url, pool_size=1, max_overflow=0)
    await send_due_notifications(database, settings, org_id=int(sys.argv[1]))

asyncio.run(main())
"""


class TestEmlFallback:
    async def test_without_smtp_messages_are_written_as_eml_and_listed(
        self, client: httpx.AsyncClient, db: Database, org: Org, eml_settings: Settings
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(db, org, [("MUG", 1)], customer=customer(org))
        await run_mail(db, eml_settings, org)

        [listed] = await messages(client, org, kind="order_confirmed", order_id=placed["id"])
        assert listed["status"] == "sent"
        assert listed["recipient"] == customer(org)["email"]
        path = eml_settings.data_dir / "outbox" / str(org.id) / f"{listed['id']}.eml"
        written = email.message_from_bytes(path.read_bytes())
        assert written["Subject"] == listed["subject"] == f"Order {placed['number']} confirmed"
        assert written["To"] == customer(org)["email"]

        detail = await client.get(f"/v1/notifications/{listed['id']}", headers=org.headers)
        assert detail.status_code == 200
        assert placed["number"] in detail.json()["body_text"]
        raw = await client.get(f"/v1/notifications/{listed['id']}/raw", headers=org.headers)
        assert raw.status_code == 200
        assert raw.headers["content-type"].startswith("message/rfc822")
        served = email.message_from_bytes(raw.content)
        assert served["Message-ID"] == written["Message-ID"]
        assert text_part(served) == text_part(written)

        assert await messages(client, org, status="failed") == []
        assert len(await messages(client, org, recipient=customer(org)["email"])) == 1

    async def test_an_order_without_email_is_skipped(
        self, client: httpx.AsyncClient, db: Database, org: Org, eml_settings: Settings
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        await place_order(db, org, [("MUG", 1)], customer=customer(org))
        async with db.transaction() as transaction:
            conn = transaction.connection
            await conn.execute(
                sa.text("UPDATE orders SET customer_email = NULL WHERE org_id = :org"),
                {"org": org.id},
            )
        await run_mail(db, eml_settings, org)
        [skipped] = await messages(client, org)
        assert skipped["status"] == "skipped"
        assert "no customer e-mail" in skipped["last_error"]

    async def test_a_marketplace_buyer_without_an_address_is_never_mailed(
        self, client: httpx.AsyncClient, db: Database, org: Org, eml_settings: Settings
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        hidden = {"email": "web-OD123@no-email.invalid", "name": "Buyer"}
        await place_order(db, org, [("MUG", 1)], customer=hidden)
        await run_mail(db, eml_settings, org)
        [skipped] = await messages(client, org)
        assert skipped["status"] == "skipped"
        assert "keeps the customer's e-mail address to itself" in skipped["last_error"]


class TestAccess:
    async def test_another_organizations_message_is_404(
        self, client: httpx.AsyncClient, db: Database, org: Org, eml_settings: Settings
    ) -> None:
        from tests.factories import make_org

        await setup_warehouses(db, org, {"WH1": 5})
        await place_order(db, org, [("MUG", 1)], customer=customer(org))
        await run_mail(db, eml_settings, org)
        [mine] = await messages(client, org)
        other = await make_org(db)
        for path in (f"/v1/notifications/{mine['id']}", f"/v1/notifications/{mine['id']}/raw"):
            response = await client.get(path, headers=other.headers)
            assert response.status_code == 404, path
        assert await messages(client, other) == []
        async with db.transaction() as transaction:
            conn = transaction.connection
            count = await conn.scalar(
                sa.select(sa.func.count()).where(notifications.c.org_id == org.id)
            )
        assert count == 1
