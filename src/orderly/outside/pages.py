"""The supplier's confirmation page (`/drop-ship/{po_number}?token=...`, no login: the signed
token in the purchase order's e-mail is the key): what to send, and a form for the carrier and
tracking number, or to say it will not be sent."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Path, Query, Request
from pydantic import ValidationError
from starlette.responses import HTMLResponse

from orderly.kit.deps import Db, InstallationSecret
from orderly.kit.errors import OrderlyError
from orderly.outside import confirmation
from orderly.outside.schemas import ConfirmationIn

public_router = APIRouter(tags=["drop-ship confirmation page"])
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}
HTML: dict[int | str, dict[str, Any]] = {
    status: {"description": meaning, "content": {"text/html": {}}}
    for status, meaning in (
        (401, "The link is not this purchase order's"),
        (404, "No such purchase order"),
        (409, "It is no longer with the supplier"),
        (422, "A field is missing or wrong"),
    )
}
PoNumber = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
Token = Annotated[str, Query(max_length=64)]


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("orderly.outside", "templates"), autoescape=True
    )


def _page(status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates().get_template("drop_ship.html").render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


@public_router.get(
    "/drop-ship/{po_number}",
    response_class=HTMLResponse,
    summary="A supplier's page: what to send, and the confirmation form",
    responses=HTML,
)
async def confirmation_page(
    po_number: PoNumber, database: Db, secret: InstallationSecret, token: Token = ""
) -> HTMLResponse:
    try:
        async with database.transaction() as tx:
            sent = await confirmation.purchase_order(
                tx.connection, po_number, org_id=None, token=token, secret=secret
            )
            lines = await confirmation.open_lines(tx.connection, sent)
    except OrderlyError as error:
        return _page(error.status, po_number=po_number, error=error.detail)
    return _page(po_number=po_number, token=token, lines=lines, state=sent.status)


@public_router.post(
    "/drop-ship/{po_number}",
    response_class=HTMLResponse,
    summary="A supplier confirms: shipped with the tracking number, or not sent",
    responses=HTML,
)
async def confirm_page(
    po_number: PoNumber, request: Request, database: Db, secret: InstallationSecret
) -> HTMLResponse:
    form = await request.form()
    names = ("token", "outcome", "carrier", "tracking_number", "reason")
    fields = {k: str(form.get(k, ""))[:200].strip() for k in names}
    try:
        data = ConfirmationIn.model_validate({k: v for k, v in fields.items() if v})
    except ValidationError:
        return _page(
            422, po_number=po_number, token=fields["token"], error="Please check the form."
        )
    try:
        # A transaction of its own: a refusal leaves nothing written.
        async with database.transaction() as tx:
            done = await confirmation.confirm(
                tx.connection, po_number, data, org_id=None, secret=secret
            )
    except OrderlyError as error:
        return _page(error.status, po_number=po_number, token=fields["token"], error=error.detail)
    return _page(po_number=po_number, done=done)
