"""A supplier reached by e-mail: each drop-ship purchase order is a message with its PDF and a
confirmation link, sent through the notifications mailer. An e-mail cannot be looked up or read
back, so news comes only from the supplier's confirmations, and no stock."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from orderly.notifications.mailer import is_permanent
from orderly.outside.dropship.document import purchase_order_pdf
from orderly.outside.errors import ProviderRefused, ProviderUnavailable
from orderly.outside.port import (
    CancelOutcome,
    Mailer,
    OutboundOrder,
    Polled,
    ProviderAccess,
    SentOrder,
    StockSnapshot,
)
from orderly.outside.settings import ProviderSettings


def _address(value: str) -> str:
    address = parseaddr(value)[1]
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in address):
        raise ValueError("must be an e-mail address such as orders@supplier.example")
    return value


Address = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_address)
]


class EmailSettings(ProviderSettings):
    email: Address = Field(description="Where the supplier takes its purchase orders")
    cc: list[Address] = Field(default_factory=list, max_length=5)


class EmailSupplier:
    kind: ClassVar[str] = "email"
    settings_model: ClassVar[type[BaseModel]] = EmailSettings
    credential_choices: ClassVar[tuple[tuple[str, ...], ...]] = ((),)
    notes: ClassVar[tuple[str, ...]] = (
        "News comes only from the supplier's confirmation (the link in each e-mail) or an"
        " operator's (POST /v1/drop-ship/{po_number}/confirm).",
        "A cancellation is asked by e-mail; the supplier answers through the same link.",
        "No stock is reported: the supplier location's stock is kept by hand.",
        "A message whose sending failed midway is sent again with the same Message-ID.",
    )

    def __init__(self, access: ProviderAccess) -> None:
        self.settings = EmailSettings.model_validate(access.settings)
        if access.mailer is None:
            raise RuntimeError("an e-mail supplier needs the mailer")
        self.mailer: Mailer = access.mailer
        self.sender = access.sender

    async def send(self, order: OutboundOrder) -> SentOrder:
        message = self._message(order.reference, f"Drop-ship purchase order {order.reference}")
        message.set_content(
            f"Please ship purchase order {order.reference} (customer order"
            f" {order.order_number}) directly to the customer: the attached PDF has the address"
            " and the lines. Put no prices or invoice in the parcel.\n\n"
            + _confirm_text(order.confirm_url)
        )
        message.add_attachment(
            purchase_order_pdf(order),
            maintype="application",
            subtype="pdf",
            filename=f"{order.reference}.pdf",
        )
        await self._deliver(message)
        return SentOrder(order.reference, str(message["Message-ID"]))

    async def find(self, reference: str) -> SentOrder | None:
        return None  # a message sent cannot be looked up

    async def cancel(self, sent: SentOrder, *, reason: str) -> CancelOutcome:
        message = self._message(
            f"{sent.reference}-cancel", f"Cancel drop-ship purchase order {sent.reference}"
        )
        message["In-Reply-To"] = sent.provider_ref
        message.set_content(
            f"Please do not ship purchase order {sent.reference} ({reason}). If it has left"
            " already, confirm it as shipped with its tracking number; otherwise confirm that"
            " it will not be sent, through the link in the purchase order's e-mail."
        )
        await self._deliver(message)
        return CancelOutcome.REQUESTED

    async def poll(self, open_orders: Sequence[SentOrder]) -> Polled:
        return Polled()

    async def archive(self, sources: Sequence[str]) -> None:
        return None

    async def stock(self) -> StockSnapshot | None:
        return None

    async def check(self) -> None:
        return None

    async def subscribe(self, url: str) -> Mapping[str, str]:
        return {}

    async def close(self) -> None:
        return None

    def _message(self, key: str, subject: str) -> EmailMessage:
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "orderly.invalid"
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.settings.email
        if self.settings.cc:
            message["Cc"] = ", ".join(self.settings.cc)
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        # Stable per purchase order: sent twice after a failure, it is recognised as one.
        message["Message-ID"] = f"<drop-ship.{key}@{domain}>"
        message["X-Orderly-Reference"] = key
        return message

    async def _deliver(self, message: EmailMessage) -> None:
        try:
            await self.mailer(message)
        except (smtplib.SMTPException, OSError) as error:
            if isinstance(error, smtplib.SMTPException) and is_permanent(error):
                raise ProviderRefused(f"the mail server refused the message: {error}") from None
            raise ProviderUnavailable(
                f"the mail server could not take the message: {error}"
            ) from None


def _confirm_text(url: str | None) -> str:
    if not url:
        return ""
    return (
        "Once it has left, confirm it with the carrier and the tracking number (or tell us it"
        f" will not be sent) at:\n{url}\n"
    )
