"""The public self-service return page: `GET/POST /returns/start`, `POST /returns/submit`.

No login and no session: every step sends the order number and contact again and the look-up
is repeated, so nothing is trusted from the browser but what it proves each time.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import ValidationError
from starlette.responses import HTMLResponse, Response

from orderly.kit.client_address import client_network, request_client_address
from orderly.kit.deps import Conn, Db
from orderly.kit.errors import OrderlyError
from orderly.kit.secrets import secret_key
from orderly.returns.domain import ReturnMethod
from orderly.returns.errors import LookupRefused
from orderly.returns.label_links import label_path, read_label_link
from orderly.returns.schemas import ReturnIn, ReturnLineIn
from orderly.returns.selfservice import (
    FoundOrder,
    Lookup,
    find_order,
    label_by_link,
    open_customer_return,
    return_label,
)

public_router = APIRouter(tags=["return page"])

Field200 = Annotated[str, Form(max_length=200)]
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
HTML: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such order", "content": {"text/html": {}}},
    422: {
        "description": "The details cannot unlock this (a page), or a field is invalid",
        "content": {"text/html": {}, "application/problem+json": {}},
    },
    429: {"description": "Too many failed look-ups", "content": {"text/html": {}}},
}
REASON_LABELS = {
    "damaged": "Arrived damaged",
    "wrong_item": "Wrong item sent",
    "too_small": "Too small",
    "too_large": "Too large",
    "not_as_described": "Not as described",
    "changed_mind": "Changed my mind",
}


def client_of(request: Request) -> str:
    """Whom failed look-ups are counted for: the client's address (an IPv6 host by its /64),
    taken from X-Forwarded-For only behind the trusted proxies."""
    proxies = request.app.state.settings.trusted_proxy_networks()
    return client_network(request_client_address(request, proxies))


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("orderly.returns", "templates"), autoescape=True
    )


def _page(status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates().get_template("return_start.html").render(reasons=REASON_LABELS, **context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


@public_router.get("/returns/start", response_class=HTMLResponse, summary="Start a return")
async def start_page(
    shop: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    return _page(step="start", shop=shop)


@public_router.post(
    "/returns/start",
    response_class=HTMLResponse,
    summary="Find the order and list what can be returned",
    responses=HTML,
)
async def find_page(
    request: Request,
    conn: Conn,
    shop: Field200 = "",
    number: Field200 = "",
    contact: Field200 = "",
) -> HTMLResponse:
    try:
        found = await find_order(conn, Lookup(shop, number, contact, client_of(request)))
    except LookupRefused as refused:
        return _page(refused.status, step="start", shop=shop, number=number, error=refused.message)
    return _choose(found, shop=shop, number=number, contact=contact)


def _choose(
    found: FoundOrder, *, shop: str, number: str, contact: str, error: str | None = None
) -> HTMLResponse:
    return _page(
        422 if error else 200,
        step="choose",
        shop=shop,
        number=number,
        contact=contact,
        found=found,
        lines=[x for x in found.returnable.lines if x.shipped > 0],
        policy=found.returnable.policy,
        error=error,
    )


@public_router.post(
    "/returns/submit", response_class=HTMLResponse, summary="Open the return", responses=HTML
)
async def submit_page(request: Request, database: Db) -> HTMLResponse:
    """The look-up is checked again (its failures are counted in a transaction of their own),
    then the return is opened, its label bought with no transaction open."""
    form = await request.form()
    shop, number, contact = (str(form.get(k, ""))[:200] for k in ("shop", "number", "contact"))
    lookup = Lookup(shop, number, contact, client_of(request))
    refusal: LookupRefused | None = None
    async with database.transaction() as tx:
        try:
            found = await find_order(tx.connection, lookup)
        except LookupRefused as refused:
            refusal = refused
    if refusal is not None:
        return _page(refusal.status, step="start", shop=shop, number=number, error=refusal.message)
    try:
        data = _return_in(found, dict(form))
        opened = await open_customer_return(database, found, data)
    except (OrderlyError, ValidationError, ValueError) as exc:
        message = exc.detail if isinstance(exc, OrderlyError) else "Please check your choices."
        return _choose(found, shop=shop, number=number, contact=contact, error=message)
    secret = secret_key(request.app.state.settings)
    return _page(
        step="done",
        shop=shop,
        opened=opened,
        label_link=label_path(secret, found.org_id, opened.id),
    )


def _return_in(found: FoundOrder, form: dict[str, Any]) -> ReturnIn:
    lines = []
    for line in found.returnable.lines:
        raw = str(form.get(f"qty_{line.line_no}", "0") or "0").strip()
        quantity = int(raw) if raw.isdigit() else 0
        if quantity > 0:
            reason = str(form.get(f"reason_{line.line_no}", ""))
            lines.append(ReturnLineIn(line_no=line.line_no, quantity=quantity, reason=reason))
    if not lines:
        raise ValueError("choose at least one item")
    method = ReturnMethod(str(form.get("method", ReturnMethod.SHIP_BACK.value)))
    store = str(form.get("store", "")) or None
    return ReturnIn(
        order_id=int(found.returnable.order["id"]),
        lines=lines,
        method=method,
        location=store if method is ReturnMethod.IN_STORE else None,
    )


@public_router.post(
    "/returns/label",
    response_class=Response,
    summary="The return label (PDF) of a ship-back return",
    responses={200: {"content": {"application/pdf": {}}}, **HTML},
)
async def label_download(
    request: Request,
    conn: Conn,
    shop: Field200 = "",
    number: Field200 = "",
    contact: Field200 = "",
) -> Response:
    """For a customer who lost the e-mail's link: the return number and the order's e-mail."""
    try:
        pdf = await return_label(conn, Lookup(shop, number, contact, client_of(request)))
    except LookupRefused as refused:
        return _page(refused.status, step="start", shop=shop, error=refused.message)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**HEADERS, "Content-Disposition": f'inline; filename="{number.strip()}.pdf"'},
    )


@public_router.get(
    "/returns/label/{token}",
    response_class=Response,
    summary="The return label (PDF) behind the link of a return e-mail",
    responses={
        200: {"content": {"application/pdf": {}}},
        404: {"description": "Not a link of this shop", "content": {"text/html": {}}},
        410: {"description": "The link has expired", "content": {"text/html": {}}},
    },
)
async def label_from_link(
    request: Request, conn: Conn, token: Annotated[str, Path(max_length=500)]
) -> Response:
    """The link in the "return authorized" e-mail: signed, so it needs no login, and good for
    60 days; after that the customer starts the return page again."""
    try:
        link = read_label_link(secret_key(request.app.state.settings), token)
        pdf = await label_by_link(conn, link)
    except LookupRefused as refused:
        return _page(refused.status, step="start", shop="", error=refused.message)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**HEADERS, "Content-Disposition": 'inline; filename="return-label.pdf"'},
    )
