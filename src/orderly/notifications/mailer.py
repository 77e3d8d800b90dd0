"""E-mail out: a MIME message (text and HTML alternatives) sent over SMTP, or, with no SMTP
server configured, written as an .eml file under the data directory (outbox/<org>/<id>.eml)."""

from __future__ import annotations

import asyncio
import os
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from orderly.notifications.rendering import RenderedMessage
from orderly.settings import Settings

SMTP_TIMEOUT_SECONDS = 30


def message_id(notification_id: int, org_id: int, sender: str) -> str:
    """Stable per notification, so that a message sent twice (a crash between the server's
    accept and our commit) is recognised as one by the receiving side."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "orderly.invalid"
    return f"<notification.{org_id}.{notification_id}@{domain}>"


def build_message(
    *,
    notification_id: int,
    org_id: int,
    sender: str,
    recipient: str,
    rendered: RenderedMessage,
    date: datetime,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id(notification_id, org_id, sender)
    message["X-Orderly-Notification"] = str(notification_id)
    message.set_content(rendered.body_text)
    message.add_alternative(rendered.body_html, subtype="html")
    return message


def outbox_path(settings: Settings, org_id: int, name: int | str) -> Path:
    return settings.data_dir / "outbox" / str(org_id) / f"{name}.eml"


async def deliver(
    settings: Settings, message: EmailMessage, *, org_id: int, notification_id: int
) -> str:
    """Send (or write) the message; returns where it went. SMTP errors and OSError propagate."""
    return await deliver_as(settings, message, org_id=org_id, name=str(notification_id))


async def deliver_as(settings: Settings, message: EmailMessage, *, org_id: int, name: str) -> str:
    """`deliver` for a message of another feature (a drop-ship purchase order): with no SMTP
    server it is written as outbox/<org>/<name>.eml."""
    if settings.smtp_host:
        await asyncio.to_thread(_send_smtp, settings, message)
        return f"smtp://{settings.smtp_host}:{settings.smtp_port}"
    path = outbox_path(settings, org_id, name)
    await asyncio.to_thread(_write_eml, path, message.as_bytes())
    return str(path)


def _send_smtp(settings: Settings, message: EmailMessage) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        smtp.ehlo()
        if settings.smtp_starttls:  # required when asked for: never fall back to plain text
            smtp.starttls()
            smtp.ehlo()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)


def _write_eml(path: Path, content: bytes) -> None:
    # Written aside and renamed: a reader never sees half a message, and a retry overwrites.
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(content)
    os.replace(partial, path)


def is_permanent(error: Exception) -> bool:
    """A 5xx answer (unknown mailbox, refused sender) will not change on retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False
