"""The label link of a "return authorized" e-mail opens the label with no login, and only it."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from itsdangerous import TimestampSigner

from orderly.kit.db import Database
from orderly.kit.secrets import secret_key
from orderly.notifications import mailer
from orderly.returns.label_links import LINK_VALID_FOR, label_path
from orderly.settings import Settings
from tests.factories import Org, shipped_order
from tests.notifications.conftest import Mailbox, text_part
from tests.notifications.helpers import messages, run_mail
from tests.returns.helpers import open_return, open_shop

LINK = re.compile(r"https://shop\.example(/returns/label/[A-Za-z0-9_.\-]+)")


@dataclass(frozen=True)
class ReturnMail:
    opened: dict[str, Any]  # the return, as the API answered its creation
    path: str  # of the label link found in the e-mail
    text: str  # the e-mail's plain text


@pytest_asyncio.fixture
async def mail(
    client: httpx.AsyncClient,
    db: Database,
    org: Org,
    smtp_settings: Settings,
    smtp_server: tuple[Mailbox, int],
) -> ReturnMail:
    """A ship-back return authorized, and its e-mail delivered to the SMTP server."""
    await open_shop(db, org)
    placed = await shipped_order(db, org, [("MUG", 1)])
    opened = await open_return(client, org, placed["id"], [(1, 1, "too_small")])
    await run_mail(db, smtp_settings, org)
    [sent] = await messages(client, org, kind="return_authorized")
    message_id = mailer.message_id(sent["id"], org.id, smtp_settings.smtp_from)
    [delivered] = [m for m in smtp_server[0].messages if m["Message-ID"] == message_id]
    text, html = text_part(delivered), text_part(delivered, "html")
    found = LINK.search(text)
    assert found is not None, text
    assert f'href="{found.group(0)}"' in html
    return ReturnMail(opened, found.group(1), text)


class TestReturnLabelLink:
    async def test_the_customer_opens_the_label_from_the_email_without_a_key(
        self, client: httpx.AsyncClient, org: Org, mail: ReturnMail
    ) -> None:
        opened, path, text = mail.opened, mail.path, mail.text
        assert "/v1/shipments/" not in text  # the API's link needs a key: never in an e-mail

        label = await client.get(path)

        assert label.status_code == 200, label.text
        assert label.headers["content-type"] == "application/pdf"
        assert label.content.startswith(b"%PDF")
        staff_copy = await client.get(
            f"/v1/shipments/{opened['shipment_id']}/label.pdf", headers=org.headers
        )
        assert label.content == staff_copy.content

    async def test_a_changed_link_or_another_return_id_is_refused(
        self, client: httpx.AsyncClient, org: Org, mail: ReturnMail
    ) -> None:
        opened, path = mail.opened, mail.path
        token = path.rsplit("/", 1)[1]
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        forged_elsewhere = label_path("another installation's key", org.id, opened["id"])

        for bad in (f"/returns/label/{tampered}", forged_elsewhere, "/returns/label/x"):
            refused = await client.get(bad)
            assert refused.status_code == 404, bad
            assert refused.headers["content-type"].startswith("text/html")
            assert "not valid" in refused.text

    async def test_an_expired_link_sends_the_customer_to_the_return_page(
        self,
        client: httpx.AsyncClient,
        org: Org,
        settings: Settings,
        mail: ReturnMail,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        opened = mail.opened
        issued = time.time() - (LINK_VALID_FOR + timedelta(days=1)).total_seconds()
        with monkeypatch.context() as patched:
            patched.setattr(TimestampSigner, "get_timestamp", lambda _self: int(issued))
            old_link = label_path(secret_key(settings), org.id, opened["id"])

        expired = await client.get(old_link)

        assert expired.status_code == 410
        assert "expired" in expired.text
        assert 'action="/returns/start"' in expired.text or "/returns/start" in expired.text


def test_a_link_names_one_return_of_one_organization(settings: Settings) -> None:
    secret = secret_key(settings)
    assert label_path(secret, 1, 7) != label_path(secret, 2, 7) != label_path(secret, 1, 8)
