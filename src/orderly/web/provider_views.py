"""Settings > Outside fulfillment: the locations a 3PL or a drop-ship supplier operates, their
provider's health, orders and last errors, and the stock differences its counts found, to
accept or dismiss. A provider is connected over the API (docs/fulfillment.md). A user limited
to some locations sees only theirs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.kit.errors import NotFound
from orderly.outside import service as outside
from orderly.outside.access import Installation
from orderly.outside.domain import DifferenceStatus
from orderly.web.deps import Conn, Form, SignedIn, StockActor, attempt, back_to
from orderly.web.rendering import render
from orderly.web.scope import ensure_location_code, location_codes, within

router = APIRouter()

HERE = "/app/settings/providers"
DECISIONS = {"accept": DifferenceStatus.ACCEPTED, "dismiss": DifferenceStatus.DISMISSED}


def _installation(request: Request) -> Installation:
    return Installation.of(request.app.state.parent.state.settings)


@router.get("/settings/providers")
async def provider_list(request: Request, conn: Conn, user: SignedIn) -> Response:
    codes = await location_codes(conn, user)
    found = await outside.list_providers(conn, user.org_id, installation=_installation(request))
    return render(
        request,
        "providers.html",
        user,
        title="Outside fulfillment",
        providers=[p for p in found if within(codes, p.location)],
    )


@router.get("/settings/providers/{code}")
async def provider_detail(request: Request, code: str, conn: Conn, user: SignedIn) -> Response:
    await ensure_location_code(conn, user, code)
    provider = await outside.get(conn, user.org_id, code, installation=_installation(request))
    pending = await outside.differences(conn, user.org_id, code, status=DifferenceStatus.PENDING)
    return render(
        request,
        "provider.html",
        user,
        title=f"{code}: outside fulfillment",
        provider=provider,
        differences=pending,
    )


@router.post("/settings/providers/{code}/differences/{difference_id}/{decision}")
async def decide(
    request: Request,
    code: str,
    difference_id: int,
    decision: str,
    conn: Conn,
    user: StockActor,
    form: Form,
) -> Response:
    """Accept (the ledger takes the provider's count, reason `3pl_count`) or dismiss."""
    await ensure_location_code(conn, user, code)
    target = DECISIONS.get(decision)
    if target is None:
        raise NotFound(f"there is no decision {decision!r}")
    await attempt(
        request,
        conn,
        lambda: outside.decide(conn, user.principal, code, difference_id, target),
        done=f"Difference {difference_id} {target.value}.",
    )
    return back_to(f"{HERE}/{code}")


@router.post("/settings/providers/{code}/stock")
async def count_now(
    request: Request, code: str, conn: Conn, user: StockActor, form: Form
) -> Response:
    """Read the provider's stock now, in a job; differences appear here when it is done."""
    await ensure_location_code(conn, user, code)
    await attempt(
        request,
        conn,
        lambda: outside.request(conn, user.org_id, code, outside.STOCK_TASK),
        done="The provider's stock will be read in a moment.",
    )
    return back_to(f"{HERE}/{code}")
