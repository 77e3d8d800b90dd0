"""The settings page says what each carrier's API does not offer, and lists what waits for a
person: label purchases a lost answer left in doubt, and addresses a carrier cannot serve."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.shipping import repository as shipping_repository
from tests.factories import place_order
from tests.web.shop import Shop, sign_in


async def test_carrier_gaps_and_what_waits_for_a_person_are_shown(
    db: Database, web: httpx.AsyncClient, shop: Shop, client: httpx.AsyncClient
) -> None:
    org = shop.org
    order = await place_order(db, org, [("MUG", 1)])
    async with db.transaction() as tx:
        conn = tx.connection
        await shipping_repository.insert_account(
            conn, {"org_id": org.id, "code": "dhl", "name": "DHL", "kind": "dhl_express"}
        )
        await conn.execute(
            sa.text(
                "INSERT INTO label_purchases (org_id, reference, order_id, carrier, status, "
                "problem) VALUES (:o, 'LP9 X', :order, 'dhl', 'needs_attention', "
                "'check the DHL account for a label with reference LP9 X')"
            ),
            {"o": org.id, "order": order["id"]},
        )
        await conn.execute(
            sa.text(
                "INSERT INTO address_checks (org_id, order_id, carrier, verdict, address, "
                "messages) VALUES (:o, :order, 'dhl', 'undeliverable', "
                "CAST(:address AS jsonb), CAST(:messages AS jsonb))"
            ),
            {
                "o": org.id,
                "order": order["id"],
                "address": '{"line1": "5 Elm St", "city": "Boston", "postal_code": "02110", '
                '"country": "US"}',
                "messages": '["postal code and city do not match"]',
            },
        )

    listed = await client.get("/v1/carriers", headers=org.headers)
    dhl = next(c for c in listed.json()["items"] if c["code"] == "dhl")
    assert "void" in dhl["lacks"] and "tracking" in dhl["offers"]

    await sign_in(web, shop, "admin")
    page = (await web.get("/app/settings")).text
    dhl_row = page[page.index("<td>dhl</td>") :].split("</tr>")[0]
    assert "void an unused label" in dhl_row
    assert "check the DHL account for a label with reference LP9 X" in page
    assert "postal code and city do not match" in page

    await sign_in(web, shop, "warehouse")  # limited to one location: not the whole org's
    limited = (await web.get("/app/settings")).text
    assert "<h2>Carriers</h2>" in limited
    assert "LP9 X" not in limited and "postal code and city" not in limited
