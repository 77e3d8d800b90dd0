"""Reading shipments: the search by filter type (then Flipkart's `nextPageUrl` while
`hasMore`), one stream per kind of shipment, and shipments with their shipping details by id,
25 ids a call as Flipkart recommends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from orderly.connections.platforms.flipkart.api import FlipkartApi
from orderly.connections.platforms.flipkart.cursor import PullCursor
from orderly.connections.platforms.flipkart.shipment import ItemStatus

FILTER = "/sellers/v3/shipments/filter"
SHIPMENTS = "/sellers/v3/shipments"
IDS_PER_CALL = 25
PAGE_SIZE = 20  # the most Flipkart's order search gives a page
MODIFIED, CANCELLED_ON = "modifiedDate", "cancellationDate"

_S = ItemStatus
PRE_DISPATCH = [_S.APPROVED, _S.PACKING_IN_PROGRESS, _S.FORM_FAILED, _S.PACKED]
PRE_DISPATCH += [_S.READY_TO_DISPATCH]
POST_DISPATCH = [_S.PICKUP_COMPLETE, _S.SHIPPED, _S.DELIVERED]


@dataclass(frozen=True, slots=True)
class Stream:
    """One search: Flipkart requires a filter type with its states, hides held shipments
    unless asked, and requires the cancellation type for cancelled ones."""

    filter: dict[str, Any] = field(default_factory=dict)
    changed: str = MODIFIED


def _kind(kind: str, states: list[ItemStatus], **more: Any) -> dict[str, Any]:
    return {"type": kind, "states": [s.value for s in states], **more}


STREAMS = (
    Stream(_kind("preDispatch", PRE_DISPATCH)),
    Stream(_kind("preDispatch", PRE_DISPATCH, hold=True)),
    Stream(_kind("postDispatch", POST_DISPATCH)),
    *(
        Stream(_kind("cancelled", [_S.CANCELLED], cancellationType=kind), changed=CANCELLED_ON)
        for kind in ("sellerCancellation", "buyerCancellation", "marketplaceCancellation")
    ),
)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def search_body(stream: Stream, window: PullCursor, page_size: int) -> dict[str, Any]:
    assert window.until is not None
    span = {"from": stamp(window.since), "to": stamp(window.until)}
    return {
        "filter": {**stream.filter, stream.changed: span},
        "pagination": {"pageSize": page_size},
        "sort": {"field": MODIFIED, "order": "asc"},
    }


async def changed(
    api: FlipkartApi, window: PullCursor, page_size: int
) -> AsyncIterator[tuple[list[dict[str, Any]], PullCursor]]:
    """Each page of each stream from the window's stream on, with the cursor that resumes
    after it: the same stream while it has more pages, else the next (or the next window)."""
    for index in range(window.stream, len(STREAMS)):
        at = window.at(index)
        page = await api.post(FILTER, search_body(STREAMS[index], at, page_size))
        while True:
            more = bool(page.get("hasMore")) and bool(page.get("nextPageUrl"))
            after = at if more else (window.at(index + 1) if index + 1 < len(STREAMS) else None)
            yield list(page.get("shipments") or []), after or window.finished()
            if not more:
                break
            page = await api.follow(str(page["nextPageUrl"]))


async def by_ids(api: FlipkartApi, shipment_ids: Sequence[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(shipment_ids), IDS_PER_CALL):
        chunk = ",".join(shipment_ids[start : start + IDS_PER_CALL])
        body = await api.get(SHIPMENTS, {"shipmentIds": chunk})
        found.extend(body.get("shipments") or [])
    return found


async def shipping_details(
    api: FlipkartApi, shipment_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Buyer and addresses by shipment id (the phone and e-mail for self-ship only)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(shipment_ids), IDS_PER_CALL):
        chunk = ",".join(quote(i, safe="") for i in shipment_ids[start : start + IDS_PER_CALL])
        body = await api.get(f"{SHIPMENTS}/{chunk}")
        for entry in body.get("shipments") or []:
            if entry.get("shipmentId"):
                found[str(entry["shipmentId"])] = entry
    return found
