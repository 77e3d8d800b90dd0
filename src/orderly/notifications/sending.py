"""Sending queued customer messages, one transaction per message, at least once: a claimed row
is sent and marked in one transaction, and a duplicate carries the same Message-ID
(docs/notifications.md, "Sending").
"""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.notifications import mailer, repository, template_store
from orderly.notifications.customer_links import for_customer
from orderly.notifications.domain import NotificationKind, NotificationStatus, email_retry_delay
from orderly.notifications.errors import InvalidTemplate
from orderly.notifications.rendering import RenderedMessage, message_context, render
from orderly.orders import service as orders
from orderly.settings import Settings

logger = logging.getLogger(__name__)

# Messages one organization may send in a round before the others have their turn.
PER_ORGANIZATION = 20


class NotSent(Exception):
    """The message is not to be sent (no address, the kind is switched off)."""


# What the stored copy of a message shows in place of a secret the customer alone receives.
WITHHELD = "[sent to the customer only]"


@dataclass(frozen=True, slots=True)
class Composed:
    recipient: str
    rendered: RenderedMessage
    # Secrets in the message (a pickup code) that the stored copy must not keep.
    secrets: tuple[str, ...] = ()

    def kept(self) -> dict[str, str]:
        """The message as it is stored on the notification row: each secret withheld."""
        parts = {
            "subject": self.rendered.subject,
            "body_text": self.rendered.body_text,
            "body_html": self.rendered.body_html,
        }
        for secret in self.secrets:
            parts = {name: text.replace(secret, WITHHELD) for name, text in parts.items()}
        return {"recipient": self.recipient, **parts}


async def send_due_notifications(
    database: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    org_id: int | None = None,
    limit: int = 200,
) -> int:
    """Send the queued messages that are due; returns how many were handled. Organizations
    take turns: in each round one sends at most PER_ORGANIZATION, so a backlog (or a run of
    failures) of one never holds up another's messages past a round."""
    handled = 0
    served: Counter[int] = Counter()
    while handled < limit:
        turn_over = {org for org, count in served.items() if count >= PER_ORGANIZATION}
        sent = await _send_next(database, settings, now=now, org_id=org_id, skip=turn_over)
        if sent is None:
            if not turn_over:
                break
            served.clear()  # a new round: every organization has its share again
            continue
        handled += 1
        served[sent.org_id] += 1
        if not sent.reachable:
            break  # the server is down: the rest waits for the next run
    return handled


@dataclass(frozen=True, slots=True)
class _Handled:
    org_id: int
    reachable: bool


async def _send_next(
    database: Database,
    settings: Settings,
    *,
    now: datetime | None,
    org_id: int | None,
    skip: set[int],
) -> _Handled | None:
    """Claim and send the next due message of an organization not in `skip`. Whatever goes
    wrong with that message is recorded on it, and the run goes on with the next."""
    row: dict[str, Any] | None = None
    try:
        async with database.transaction() as transaction:
            conn = transaction.connection
            row = await repository.claim_due_notification(
                conn, now or utcnow(), org_id, skip_orgs=skip
            )
            if row is None:
                return None
            reachable = await send_notification(conn, settings, row, now=now or utcnow())
        return _Handled(int(row["org_id"]), reachable)
    except Exception as error:  # one message's failure must not stop the queue
        if row is None:
            raise
        logger.exception("notification %s could not be handled", row["id"])
        async with database.transaction() as transaction:
            conn = transaction.connection
            await _record_failed_attempt(conn, row, error, now=now or utcnow())
        return _Handled(int(row["org_id"]), True)


async def _record_failed_attempt(
    conn: AsyncConnection, row: dict[str, Any], error: Exception, *, now: datetime
) -> None:
    """An unexpected failure counts as an attempt, retried later like a refused one."""
    attempt = int(row["attempts"]) + 1
    delay = email_retry_delay(attempt)
    await repository.update_queued_notification(
        conn,
        int(row["id"]),
        attempts_before=int(row["attempts"]),
        attempts=attempt,
        last_error=f"could not be composed: {type(error).__name__}"[:1000],
        status=(NotificationStatus.QUEUED if delay else NotificationStatus.FAILED).value,
        next_attempt_at=now + delay if delay else now,
    )


async def send_notification(
    conn: AsyncConnection, settings: Settings, row: dict[str, Any], *, now: datetime
) -> bool:
    """Compose and send one claimed message. Returns False when the mail server could not be
    reached (the message stays queued for its next attempt)."""
    notification_id = int(row["id"])
    org_id = int(row["org_id"])
    attempt = int(row["attempts"]) + 1
    try:
        composed = await compose(conn, settings, row)
    except NotSent as reason:
        await repository.update_notification(
            conn, notification_id, status=NotificationStatus.SKIPPED.value, last_error=str(reason)
        )
        return True
    except InvalidTemplate as error:
        await repository.update_notification(
            conn,
            notification_id,
            status=NotificationStatus.FAILED.value,
            attempts=attempt,
            last_error=f"template ({error.field}): {error.detail}"[:1000],
        )
        return True
    message = mailer.build_message(
        notification_id=notification_id,
        org_id=org_id,
        sender=settings.smtp_from,
        recipient=composed.recipient,
        rendered=composed.rendered,
        date=now,
    )
    rendered = composed.kept()
    try:
        await mailer.deliver(settings, message, org_id=org_id, notification_id=notification_id)
    except (smtplib.SMTPException, OSError) as error:
        delay = None if mailer.is_permanent(error) else email_retry_delay(attempt)
        logger.warning("notification %s not sent (attempt %s): %s", notification_id, attempt, error)
        await repository.update_notification(
            conn,
            notification_id,
            **rendered,
            attempts=attempt,
            last_error=str(error)[:1000],
            status=(NotificationStatus.QUEUED if delay else NotificationStatus.FAILED).value,
            next_attempt_at=now + delay if delay else now,
        )
        return not isinstance(error, OSError | smtplib.SMTPServerDisconnected)
    await repository.update_notification(
        conn,
        notification_id,
        **rendered,
        attempts=attempt,
        last_error=None,
        status=NotificationStatus.SENT.value,
        sent_at=now,
    )
    return True


async def compose(conn: AsyncConnection, settings: Settings, row: dict[str, Any]) -> Composed:
    org_id = int(row["org_id"])
    kind = NotificationKind(str(row["kind"]))
    order = await orders.get_order(conn, org_id, int(row["order_id"]))
    if not order.customer.email:
        raise NotSent("the order has no customer e-mail address")
    if order.customer.email.endswith(".invalid"):
        raise NotSent("the sales platform keeps the customer's e-mail address to itself")
    template = await template_store.template_for(conn, org_id, kind, order.channel)
    if not template.enabled:
        raise NotSent(f"{kind.value} messages are switched off for this channel")
    event = await repository.event(conn, org_id, int(row["event_id"]))
    event_type = str(event["type"]) if event else ""
    data = for_customer(settings, org_id, event_type, dict(event["data"]) if event else {})
    context = message_context(
        order.model_dump(mode="json"), event_type, data, public_url=settings.public_url
    )
    code = data.get("pickup_code")
    return Composed(
        order.customer.email,
        await render(template.source, context),
        secrets=(code,) if isinstance(code, str) and code else (),
    )
