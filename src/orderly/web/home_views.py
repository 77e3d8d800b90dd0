"""The home page: today's figures and the charts of the last 30 days."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.kit.clock import utcnow
from orderly.reporting.dashboard import ON_TIME_HOURS, dashboard_figures
from orderly.web import charts
from orderly.web.deps import Conn, SignedIn
from orderly.web.rendering import render
from orderly.web.scope import location_ids

router = APIRouter()


@router.get("/")
async def home(request: Request, conn: Conn, user: SignedIn) -> Response:
    figures = await dashboard_figures(
        conn, user.org_id, now=utcnow(), location_ids=location_ids(user)
    )
    per_day = charts.stacked_columns(
        figures.days,
        figures.orders_by_channel,
        label=f"Orders per day by channel, last {figures.window_days} days",
    )
    backlog = charts.horizontal_bars(
        [(status.replace("_", " "), n) for status, n in figures.backlog_by_status],
        label="Open orders by status",
    )
    on_time = (
        charts.share_meter(figures.on_time_share, label="Share shipped on time")
        if figures.on_time_share is not None
        else None
    )
    return render(
        request,
        "home.html",
        user,
        title="Home",
        figures=figures,
        per_day=per_day,
        legend=charts.legend(list(figures.orders_by_channel)),
        backlog=backlog,
        on_time=on_time,
        on_time_hours=ON_TIME_HOURS,
    )
