"""Reports over the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from orderly.kit.deps import Conn
from orderly.kit.errors import InvalidInput
from orderly.kit.query import Day
from orderly.reporting.returns import ReturnsGrouping, return_rates
from orderly.tenancy.deps import Reader

router = APIRouter(tags=["reports"])

MAX_DAYS = 3660


class ReturnRateOut(BaseModel):
    key: str = Field(description="The SKU code, reason, channel code or location code")
    units_shipped: int
    units_returned: int
    return_rate: str | None = Field(
        description="units_returned / units_shipped as a decimal string; null with no shipments"
    )


class ReturnsReportOut(BaseModel):
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    group_by: ReturnsGrouping
    items: list[ReturnRateOut]


@router.get("/reports/returns", response_model=ReturnsReportOut, response_model_by_alias=True)
async def returns_report(
    conn: Conn,
    principal: Reader,
    date_from: Annotated[Day, Query(alias="from", description="First day (UTC), inclusive")],
    date_to: Annotated[Day, Query(alias="to", description="Last day (UTC), inclusive")],
    group_by: ReturnsGrouping = ReturnsGrouping.SKU,
) -> ReturnsReportOut:
    """Return rate (units returned / units shipped) per group over a period of days."""
    if date_to < date_from or (date_to - date_from).days > MAX_DAYS:
        raise InvalidInput(f"to must be on or after from, and within {MAX_DAYS} days", field="to")
    start = datetime.combine(date_from, time(), tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(), tzinfo=UTC)
    rates = await return_rates(conn, principal.org_id, start=start, end=end, group_by=group_by)
    return ReturnsReportOut(
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        items=[
            ReturnRateOut(
                key=r.key,
                units_shipped=r.units_shipped,
                units_returned=r.units_returned,
                return_rate=str(r.rate) if r.rate is not None else None,
            )
            for r in rates
        ],
    )
