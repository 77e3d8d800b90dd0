"""The till: a store associate scans products into a cart (a keyboard-wedge scanner types the
code and Enter), takes cash, a card on the terminal or both, and prints the receipt. The cart
lives in the signed session until the sale. docs/pos.md."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.kit.errors import InvalidInput, NotFound
from orderly.kit.money import from_minor
from orderly.orders import service as orders
from orderly.pos import counter_returns, sales
from orderly.pos import repository as pos_repository
from orderly.pos.receipt import receipt_pdf
from orderly.pos.schemas import CounterReturnIn, SaleIn
from orderly.returns import service as returns
from orderly.web.deps import (
    Conn,
    Form,
    SignedIn,
    StockActor,
    StockActorOutsideTransaction,
    attempt,
    attempt_alone,
    back_to,
    database,
    flash,
)
from orderly.web.lookups import my_location, my_locations
from orderly.web.rendering import render

router = APIRouter()
MAX_CART_LINES = 50


@router.get("/pos")
async def choose_till(request: Request, conn: Conn, user: SignedIn) -> Response:
    stores = [s for s in await my_locations(conn, user) if s.kind.value == "store"]
    if len(stores) == 1:
        return back_to(f"/app/pos/{stores[0].code}")
    return render(
        request,
        "choose_location.html",
        user,
        title="Till",
        heading="Till: choose a store",
        base="/app/pos",
        locations=stores,
    )


def _cart(request: Request, code: str) -> dict[str, int]:
    carts: dict[str, dict[str, int]] = request.session.get("pos_carts", {})
    return dict(carts.get(code, {}))


def _keep(request: Request, code: str, cart: dict[str, int]) -> None:
    carts: dict[str, dict[str, int]] = dict(request.session.get("pos_carts", {}))
    carts[code] = cart
    request.session["pos_carts"] = carts


async def _my_store(conn: Any, user: Any, code: str) -> Any:
    store = await my_location(conn, user, code)
    if store.kind.value != "store":
        raise NotFound(f"{code} is not a store with a till")
    return store


@router.get("/pos/{code}")
async def till(request: Request, code: str, conn: Conn, user: SignedIn) -> Response:
    store = await _my_store(conn, user, code)
    cart = _cart(request, code)
    skus = await pos_repository.skus_scanned(conn, user.org_id, sorted(cart))
    tax = store.sales_tax
    lines: list[dict[str, Any]] = []
    total = Decimal(0)
    currency = None
    for sku_code, quantity in cart.items():
        sku = skus.get(sku_code)
        if sku is None or sku.list_price_minor is None or sku.list_price_currency is None:
            continue
        currency = currency or sku.list_price_currency
        net = Decimal(from_minor(sku.list_price_minor * quantity, sku.list_price_currency))
        lines.append({"sku": sku.code, "name": sku.name, "quantity": quantity, "net": net})
        total += net
    tax_amount = (total * Decimal(tax.rate) / 100).quantize(Decimal("0.01")) if tax else Decimal(0)
    return render(
        request,
        "pos.html",
        user,
        title=f"Till {code}",
        store=store,
        lines=lines,
        currency=currency,
        subtotal=total,
        tax=tax,
        tax_amount=tax_amount,
        total=total + tax_amount,
        sold=request.session.pop("pos_sold", None),
    )


@router.post("/pos/{code}/scan")
async def scan(request: Request, code: str, conn: Conn, user: StockActor, form: Form) -> Response:
    store = await _my_store(conn, user, code)
    scanned = str(form.get("scan", "")).strip()
    if not scanned:
        return back_to(f"/app/pos/{store.code}")
    found = (await pos_repository.skus_scanned(conn, user.org_id, [scanned])).get(scanned)
    if found is None:
        flash(request, f"no product with code or barcode {scanned}", kind="error", field="scan")
    elif found.list_price_minor is None:
        flash(request, f"{found.code} has no list price to sell it at", kind="error", field="scan")
    else:
        cart = _cart(request, store.code)
        if found.code in cart or len(cart) < MAX_CART_LINES:
            cart[found.code] = cart.get(found.code, 0) + 1
            _keep(request, store.code, cart)
    return back_to(f"/app/pos/{store.code}")


@router.post("/pos/{code}/remove")
async def remove(request: Request, code: str, conn: Conn, user: StockActor, form: Form) -> Response:
    store = await _my_store(conn, user, code)
    cart = _cart(request, store.code)
    cart.pop(str(form.get("sku", "")), None)
    _keep(request, store.code, cart)
    return back_to(f"/app/pos/{store.code}")


@router.post("/pos/{code}/sell")
async def sell(
    request: Request, code: str, user: StockActorOutsideTransaction, form: Form
) -> Response:
    db = database(request)
    async with db.transaction() as tx:
        store = await _my_store(tx.connection, user, code)
    cart = _cart(request, store.code)
    if not cart:
        flash(request, "scan a product first", kind="error", field="scan")
        return back_to(f"/app/pos/{store.code}")

    async def sale() -> Any:
        async with db.transaction() as tx:
            body = SaleIn.model_validate(
                {
                    "location": store.code,
                    "channel": str(form.get("channel") or "pos"),
                    "till": f"dashboard:{user.email}",
                    "lines": [{"sku": s, "quantity": q} for s, q in cart.items()],
                    "tenders": _tenders(
                        form, await _total(tx.connection, user.org_id, store, cart)
                    ),
                    **_customer(form),
                    **_ship_to(form),
                }
            )
            return await sales.sell(tx, user.principal, body)

    sold = await attempt_alone(request, sale)
    if sold is not None:
        _keep(request, store.code, {})
        request.session["pos_sold"] = {
            "id": sold.order.id,
            "number": sold.order.number,
            "total": sold.order.total,
            "change": sold.change,
            "shipped": sold.order.delivery_method.value == "ship",
        }
    return back_to(f"/app/pos/{store.code}")


@router.get("/pos/sales/{sale_id}/receipt.pdf")
async def receipt(sale_id: int, conn: Conn, user: SignedIn) -> Response:
    sale = await pos_repository.sale_row(conn, user.org_id, sale_id)
    if sale is None:
        raise NotFound(f"there is no counter sale {sale_id} here")
    order = await orders.get_order(conn, user.org_id, sale_id)
    # Only a store of the user's may print it.
    await my_location(conn, user, sale["store_code"])
    return Response(receipt_pdf(sale, order, sale["change"] or "0"), media_type="application/pdf")


async def _total(conn: Any, org_id: int, store: Any, cart: dict[str, int]) -> Decimal:
    skus = await pos_repository.skus_scanned(conn, org_id, sorted(cart))
    net = Decimal(0)
    for sku_code, quantity in cart.items():
        sku = skus.get(sku_code)
        if sku and sku.list_price_minor is not None and sku.list_price_currency:
            net += Decimal(from_minor(sku.list_price_minor * quantity, sku.list_price_currency))
    rate = Decimal(store.sales_tax.rate) if store.sales_tax else Decimal(0)
    tax = (net * rate / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    return net + tax


def _amount(form: Any, name: str) -> Decimal | None:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput("write an amount such as 20.00", field=name) from None
    if value < 0:
        raise InvalidInput("write an amount such as 20.00", field=name)
    return value


def _tenders(form: Any, total: Decimal) -> list[dict[str, Any]]:
    """A card payment on the terminal for `card` (with its reference), and cash for the rest,
    with what the customer handed over."""
    card = _amount(form, "card") or Decimal(0)
    cash = _amount(form, "cash")
    reference = str(form.get("card_reference", "")).strip() or None
    tenders: list[dict[str, Any]] = []
    if card > 0:
        tenders.append({"method": "card", "amount": f"{card:.2f}", "reference": reference})
    rest = total - card
    if rest > 0:
        handed = cash if cash is not None else rest
        if handed < rest:
            raise InvalidInput(f"{rest:.2f} is still to pay", field="cash")
        tenders.append({"method": "cash", "amount": f"{rest:.2f}", "tendered": f"{handed:.2f}"})
    if not tenders:
        raise InvalidInput("take a payment", field="cash")
    return tenders


def _ship_to(form: Any) -> dict[str, Any]:
    """Endless aisle: an address to ship to, when the associate filled one in."""
    line1 = str(form.get("ship_line1", "")).strip()
    if not line1:
        return {}
    fields = ("name", "city", "postal_code", "country")
    address = {k: str(form.get(f"ship_{k}", "")).strip() or None for k in fields}
    if address["country"]:
        address["country"] = str(address["country"]).upper()
    return {"ship_to": {"line1": line1, **{k: v for k, v in address.items() if v}}}


def _customer(form: Any) -> dict[str, Any]:
    email = str(form.get("email", "")).strip()
    return {"customer": {"email": email}} if email else {}


@router.get("/pos/{code}/returns")
async def return_at_the_till(
    request: Request, code: str, conn: Conn, user: SignedIn, order: str = ""
) -> Response:
    """Scan the receipt's barcode (the order number): its lines to bring back."""
    store = await _my_store(conn, user, code)
    found = None
    lines: list[Any] = []
    wanted = order.strip()[:100]
    if wanted:
        order_id = await counter_returns.order_of_receipt(conn, user.org_id, wanted)
        if order_id is None:
            flash(request, f"no order {wanted}", kind="error", field="order")
        else:
            view = await returns.returnable_order(conn, user.org_id, order_id)
            found = view.order
            lines = [x for x in view.lines if x.returnable > 0]
    return render(
        request,
        "pos_return.html",
        user,
        title=f"Return at {code}",
        store=store,
        order=found,
        lines=lines,
        wanted=wanted,
    )


@router.post("/pos/{code}/returns")
async def take_back(
    request: Request, code: str, conn: Conn, user: StockActor, form: Form
) -> Response:
    store = await _my_store(conn, user, code)
    order = str(form.get("order", "")).strip()
    lines = []
    for key in form:
        if key.startswith("quantity-"):
            line_no = key.removeprefix("quantity-")
            raw = str(form.get(key, "")).strip()
            if raw.isdigit() and int(raw) > 0 and line_no.isdigit():
                lines.append(
                    {
                        "line_no": int(line_no),
                        "quantity": int(raw),
                        "reason": str(form.get("reason") or "changed_mind")[:50],
                        "damaged": form.get(f"damaged-{line_no}") == "on",
                    }
                )
    if not lines:
        flash(request, "choose at least one unit to take back", kind="error", field="order")
        return back_to(f"/app/pos/{store.code}/returns?order={order}")

    async def act() -> Any:
        body = CounterReturnIn.model_validate(
            {"location": store.code, "order": order, "lines": lines}
        )
        return await counter_returns.take_back(conn, user.principal, body, key=None)

    done = await attempt(request, conn, act)
    if done is None:
        return back_to(f"/app/pos/{store.code}/returns?order={order}")
    flash(
        request,
        f"Return {done.return_.number}: {done.refund.amount} {done.refund.currency} given back.",
    )
    return back_to(f"/app/pos/{store.code}")
