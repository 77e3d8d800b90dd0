"""Buying a label with no database transaction open while the carrier answers.

`begin` records the intent (a `buying` row with our own reference) in the caller's
transaction; `buy` calls the carrier outside any transaction; `record` stores the shipments in
the caller's second transaction; `give_back` voids a label the caller could not use;
`still_buying` tells a purchase another request is making from one a dead process left. A lost
answer is resolved by looking our reference up and voiding what turned up, or, where the
carrier offers neither, by a flag for a person (docs/shipping.md, "Label purchases").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.errors import OrderlyError
from orderly.kit.vault import Vault
from orderly.shipping import customs
from orderly.shipping import purchase_repository as repo
from orderly.shipping.accounts import org_carriers
from orderly.shipping.carriers.base import Carrier
from orderly.shipping.domain import (
    RATE_POLICIES,
    Label,
    RatePolicy,
    RateQuote,
    ShipmentRequest,
    pick_service,
)
from orderly.shipping.errors import (
    FeatureNotOffered,
    LabelOutcomeUnknown,
    NoServiceAvailable,
    ShipmentInvalid,
)
from orderly.shipping.presenters import shipment_view
from orderly.shipping.repository import insert_shipment
from orderly.shipping.schemas import ShipmentView

logger = logging.getLogger(__name__)

# Carriers cap customer references at 30 to 40 characters; ours starts with what makes it unique.
REFERENCE_LENGTH = 30
# A purchase still `buying` after this long was left by a process that died mid-call.
ABANDONED_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Purchase:
    """A label purchase under way: what `begin` recorded, and what `buy` needs."""

    id: int
    org_id: int
    order_id: int
    fulfillment_order_id: int | None
    request: ShipmentRequest  # its `reference` is the purchase's own, which the carrier keeps
    reference: str  # the caller's (an order or return number), which the shipments show
    service: str | None
    policy: RatePolicy
    promise_date: date | None
    actor: str


@dataclass(frozen=True, slots=True)
class Bought:
    """A label the carrier made for a purchase, not yet stored."""

    purchase: Purchase
    carrier_account_id: int
    quote: RateQuote
    label: Label
    # Words for a person when the purchase needs a look (an earlier answer was lost).
    problem: str | None = None


async def begin(
    conn: AsyncConnection,
    org_id: int,
    *,
    order_id: int,
    fulfillment_order_id: int | None,
    request: ShipmentRequest,
    service: str | None,
    policy: str,
    promise_date: date | None,
    actor: str,
) -> Purchase:
    """Record the intent in the caller's transaction; the carrier is called once it commits."""
    check_request(org_id, request)
    chosen_policy = _policy(policy)
    purchase_id = await repo.next_purchase_id(conn)
    reference = f"LP{purchase_id} {request.reference}".strip()[:REFERENCE_LENGTH]
    await repo.insert_purchase(
        conn,
        purchase_id,
        org_id,
        reference=reference,
        order_id=order_id,
        fulfillment_order_id=fulfillment_order_id,
        actor=actor,
    )
    return Purchase(
        id=purchase_id,
        org_id=org_id,
        order_id=order_id,
        fulfillment_order_id=fulfillment_order_id,
        request=replace(request, reference=reference),
        reference=request.reference,
        service=service,
        policy=chosen_policy,
        promise_date=promise_date,
        actor=actor,
    )


async def buy(database: Database, purchase: Purchase, *, vault: Vault | None = None) -> Bought:
    """Quote, choose and buy, with no transaction open during the carrier's calls. A failure
    marks the purchase `failed`; a lost answer that cannot be resolved marks it
    `needs_attention`. Both are raised."""
    async with database.reading() as conn:
        carriers = await org_carriers(conn, purchase.org_id, vault=vault)
    try:
        quotes = await quote_all([c for _, c in carriers.values()], purchase.request)
        quote = choose(quotes, purchase)
        account_id, carrier = carriers[quote.carrier]
        await _note(
            database, purchase, carrier=quote.carrier, service=quote.service, account_id=account_id
        )
        label, problem = await _create(database, purchase, carrier, quote.service)
    except LabelOutcomeUnknown:
        raise
    except OrderlyError as error:
        await _end(database, purchase, "failed", problem=error.detail)
        raise
    return Bought(purchase, account_id, quote, label, problem)


async def record(conn: AsyncConnection, bought: Bought) -> list[ShipmentView]:
    """Store one shipment per parcel (with the master tracking number) in the caller's second
    transaction, and close the purchase."""
    purchase, label, quote = bought.purchase, bought.label, bought.quote
    pieces = label.piece_labels()
    if len(pieces) != len(purchase.request.parcels):
        pieces = tuple(pieces[0] for _ in purchase.request.parcels)
    views: list[ShipmentView] = []
    for parcel, piece in zip(purchase.request.parcels, pieces, strict=True):
        row = await insert_shipment(
            conn,
            {
                "org_id": purchase.org_id,
                "order_id": purchase.order_id,
                "fulfillment_order_id": purchase.fulfillment_order_id,
                "carrier_account_id": bought.carrier_account_id,
                "carrier": quote.carrier,
                "service": quote.service,
                "service_name": quote.service_name,
                "tracking_number": piece.tracking_number,
                "master_tracking_number": label.tracking_number if len(pieces) > 1 else None,
                "label_purchase_id": purchase.id,
                "status": "label_created",
                # The shipment's cost is carried by its first parcel.
                "cost_minor": label.cost_minor if not views else 0,
                "currency": label.currency,
                "weight_grams": parcel.weight_grams,
                "reference": purchase.reference,
                "label_pdf": piece.pdf or label.pdf,
                "label_zpl": piece.zpl or label.zpl,
                "estimated_delivery": label.estimated_delivery or quote.estimated_delivery,
                "created_by": purchase.actor,
            },
        )
        views.append(shipment_view(row))
    status = "needs_attention" if bought.problem else "bought"
    await repo.finish_purchase(
        conn,
        purchase.id,
        status=status,
        tracking_number=label.tracking_number,
        problem=bought.problem,
        chosen=(quote.carrier, quote.service, bought.carrier_account_id),
    )
    return views


async def give_back(
    database: Database, bought: Bought, reason: str, *, vault: Vault | None = None
) -> None:
    """Void a label the caller could not use (its second transaction failed), or flag it for a
    person when the carrier cannot void."""
    number = bought.label.tracking_number
    async with database.reading() as conn:
        carriers = await org_carriers(conn, bought.purchase.org_id, vault=vault)
    carrier = carriers.get(bought.quote.carrier, (0, None))[1]
    status, problem = "resolved", f"not used ({reason}); voided"
    try:
        if carrier is None:
            raise FeatureNotOffered("the carrier account is gone")
        await carrier.cancel_label(number)
    except OrderlyError as error:
        status = "needs_attention"
        problem = f"not used ({reason}); could not be voided: {error.detail}"
    async with database.transaction() as tx:
        await repo.finish_purchase(
            tx.connection,
            bought.purchase.id,
            status=status,
            tracking_number=None,
            problem=problem,
            strays=[number],
        )


async def still_buying(conn: AsyncConnection, org_id: int, purchase_ids: Sequence[int]) -> set[int]:
    """Those of the purchases another request is still making. Those left `buying` longer than
    `ABANDONED_AFTER` are abandoned: a person checks the carrier account for their labels."""
    live = await repo.still_buying(conn, org_id, purchase_ids, within=ABANDONED_AFTER)
    left = [i for i in purchase_ids if i not in live]
    if left:
        await repo.abandon(conn, org_id, left)
    return live


async def quote_all(carriers: Sequence[Carrier], request: ShipmentRequest) -> list[RateQuote]:
    """Every carrier's quotes; a carrier that fails is left out while another answers."""
    quotes: list[RateQuote] = []
    failures: list[OrderlyError] = []
    for carrier in carriers:
        try:
            quotes.extend(await carrier.rates(request))
        except OrderlyError as error:
            logger.warning("carrier %s gave no rates: %s", carrier.code, error.detail)
            failures.append(error)
    if not quotes and failures:
        raise failures[0]
    return sorted(quotes, key=lambda q: (q.price_minor, q.estimated_delivery, q.key))


def choose(quotes: list[RateQuote], purchase: Purchase) -> RateQuote:
    """The named service, or the one the policy picks."""
    if purchase.service:
        named = _named_quote(quotes, purchase.service)
        if named is None:
            raise NoServiceAvailable(
                f"service {purchase.service!r} cannot take this shipment", field="service"
            )
        return named
    chosen = pick_service(quotes, policy=purchase.policy, promise_date=purchase.promise_date)
    if chosen is None:
        raise NoServiceAvailable("no configured carrier can take this shipment")
    return chosen


async def _create(
    database: Database, purchase: Purchase, carrier: Carrier, service: str
) -> tuple[Label, str | None]:
    """The label, bought once; after a lost answer, what the carrier offers decides."""
    request = purchase.request
    if carrier.features.customs and request.customs is not None:
        customs.ensure_complete(request.customs)
    try:
        return await carrier.create_label(request, service), None
    except LabelOutcomeUnknown as lost:
        first_loss = lost.detail
    strays: list[str] = []
    problem: str | None = None
    if carrier.features.find_by_reference:
        strays = await carrier.find_labels(request.reference, request.ship_date)
        for number in strays:
            await carrier.cancel_label(number)
    elif carrier.features.void:
        problem = (
            f"an answer of {carrier.code} was lost ({first_loss}) and it cannot look shipments up:"
            " if a second label with this reference turns up in the carrier account, void it"
        )
    else:
        await _end(
            database,
            purchase,
            "needs_attention",
            problem=f"the answer of {carrier.code} was lost ({first_loss}); it can neither look "
            "shipments up nor void them: check the carrier account for a label with reference "
            f"{request.reference} before buying again",
        )
        raise LabelOutcomeUnknown(
            "the carrier may have made the label; a person must check the carrier account "
            "before it is bought again"
        )
    if strays:
        await _note(database, purchase, strays=strays)
    try:
        return await carrier.create_label(request, service), problem
    except LabelOutcomeUnknown as again:
        await _end(
            database,
            purchase,
            "needs_attention",
            problem=f"two answers of {carrier.code} were lost ({again.detail}): check the "
            f"carrier account for labels with reference {request.reference}",
        )
        raise


async def _note(
    database: Database,
    purchase: Purchase,
    *,
    carrier: str | None = None,
    service: str | None = None,
    account_id: int | None = None,
    strays: list[str] | None = None,
) -> None:
    async with database.transaction() as tx:
        await repo.note_attempt(
            tx.connection,
            purchase.id,
            carrier=carrier,
            service=service,
            account_id=account_id,
            strays=strays or [],
        )


async def _end(database: Database, purchase: Purchase, status: str, *, problem: str) -> None:
    async with database.transaction() as tx:
        await repo.finish_purchase(
            tx.connection, purchase.id, status=status, tracking_number=None, problem=problem
        )


def check_request(org_id: int, request: ShipmentRequest) -> None:
    if request.org_id != org_id:
        raise ShipmentInvalid("the shipment belongs to another organization", field="org_id")
    if not request.parcels:
        raise ShipmentInvalid("a shipment needs at least one parcel", field="parcels")
    for field in ("postal_code", "country"):
        for side in ("ship_from", "ship_to"):
            if not getattr(request, side).get(field):
                raise ShipmentInvalid(f"{side}.{field} is required", field=f"{side}.{field}")


def _named_quote(quotes: list[RateQuote], service: str) -> RateQuote | None:
    if ":" in service:
        return next((q for q in quotes if q.key == service), None)
    matches = [q for q in quotes if q.service == service]
    if len(matches) > 1:
        raise ShipmentInvalid(
            f"several carriers offer {service!r}; name it as carrier:service", field="service"
        )
    return matches[0] if matches else None


def _policy(policy: str) -> RatePolicy:
    for known in RATE_POLICIES:
        if policy == known:
            return known
    raise ShipmentInvalid(f"policy must be one of {', '.join(RATE_POLICIES)}", field="policy")
