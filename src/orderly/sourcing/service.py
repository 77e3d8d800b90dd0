"""Routing configurations (read, save, resolve for a channel) and the engine capture uses."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.channels.errors import UnknownChannel
from orderly.kit.clock import utcnow
from orderly.sourcing import repository
from orderly.sourcing.config import BackorderPolicy, RoutingConfig
from orderly.sourcing.domain import SourcingPlan, SourcingRequest, SourcingStrategy
from orderly.sourcing.engine import RoutingEngine
from orderly.sourcing.errors import RoutingChannelNotFound
from orderly.sourcing.schemas import RoutingConfigOut


async def get_routing_config(
    conn: AsyncConnection, org_id: int, channel_code: str | None = None
) -> RoutingConfigOut:
    """The saved configuration (org default, or one channel's own), defaults filled in."""
    channel_id = await _channel_id(conn, org_id, channel_code)
    saved = await repository.saved_config(conn, org_id, channel_id)
    raw, updated_at = saved if saved is not None else ({}, None)
    return _config_out(channel_code, raw, updated_at)


async def put_routing_config(
    conn: AsyncConnection, org_id: int, config: RoutingConfig, channel_code: str | None = None
) -> RoutingConfigOut:
    channel_id = await _channel_id(conn, org_id, channel_code)
    # Only what was set is stored, so that a channel's configuration overrides the default
    # key by key and inherits the rest (its costs, say).
    raw = config.model_dump(mode="json", exclude_unset=True)
    updated_at = await repository.save_config(conn, org_id, channel_id, raw)
    return _config_out(channel_code, raw, updated_at)


async def effective_config(conn: AsyncConnection, org_id: int, channel_id: int) -> RoutingConfig:
    """What capture would use for this channel: its configuration over the org default."""
    return parse_config(orjson.dumps(await repository.merged_config(conn, org_id, channel_id)))


def engine_for(config_json: str | bytes, *, today: date | None = None) -> RoutingEngine:
    """The engine for a stored configuration (JSON text, as capture's context query reads it)."""
    return _engine(
        config_json if isinstance(config_json, str) else config_json.decode(),
        today or utcnow().date(),
    )


@dataclass(frozen=True, slots=True)
class OrderRouting:
    """The engine plus the order facts that the shared planning call does not carry."""

    engine: RoutingEngine
    delivery_method: str
    pickup_location_id: int | None
    promise_date: date | None
    channel: str | None

    def plan(self, request: SourcingRequest) -> SourcingPlan:
        return self.engine.plan(
            replace(
                request,
                delivery_method=self.delivery_method,
                pickup_location_id=self.pickup_location_id,
                promise_date=self.promise_date,
                channel=self.channel,
            )
        )


def routing_for(
    config_json: str,
    *,
    delivery_method: str,
    pickup_location_id: int | None,
    promise_date: date | None,
    channel: str | None,
) -> OrderRouting:
    """What capture plans with: the channel's configuration and this order's facts."""
    return OrderRouting(
        engine_for(config_json), delivery_method, pickup_location_id, promise_date, channel
    )


async def routing_for_channel(
    conn: AsyncConnection,
    org_id: int,
    channel_id: int,
    *,
    delivery_method: str,
    pickup_location_id: int | None,
    promise_date: date | None,
    channel: str | None,
) -> OrderRouting:
    """`routing_for`, reading the channel's configuration first (for paths off capture)."""
    config = orjson.dumps(await repository.merged_config(conn, org_id, channel_id)).decode()
    return routing_for(
        config,
        delivery_method=delivery_method,
        pickup_location_id=pickup_location_id,
        promise_date=promise_date,
        channel=channel,
    )


def parse_config(config_json: str | bytes) -> RoutingConfig:
    """A stored configuration; one that no longer validates gives way to the defaults, so an
    order is never refused for a configuration problem."""
    try:
        return RoutingConfig.model_validate_json(config_json)
    except ValidationError:
        return RoutingConfig()


def backorder_policy(strategy: SourcingStrategy) -> BackorderPolicy:
    if isinstance(strategy, OrderRouting):
        return strategy.engine.backorder
    if isinstance(strategy, RoutingEngine):
        return strategy.backorder
    return BackorderPolicy.BACKORDER


def decision_record(plan: SourcingPlan, location_codes: dict[int, str]) -> dict[str, Any]:
    """The `sourcing.decided` timeline event's data: plan, explanation and every location."""
    cancelled = plan.backorder_policy == BackorderPolicy.CANCEL_LINE.value
    short = {str(k): v for k, v in plan.shortfalls.items()}
    return {
        "allocations": [
            {
                "line_no": a.line_no,
                "location": location_codes[a.location_id],
                "quantity": a.quantity,
            }
            for a in plan.allocations
        ],
        "backordered": {} if cancelled else short,
        "cancelled": short if cancelled else {},
        "backorder_policy": plan.backorder_policy,
        "explanation": list(plan.explanation),
        "locations": [
            {"location": d.location, "code": str(d.code), "detail": d.detail, "chosen": d.chosen}
            for d in plan.decisions
        ],
        "estimated_cost": _money(plan.estimated_cost_minor),
        "estimated_ship_date": _iso(plan.estimated_ship_date),
        "estimated_delivery_date": _iso(plan.estimated_delivery_date),
        "shipments": len(plan.shipments),
    }


@lru_cache(maxsize=256)
def _engine(config_json: str, today: date) -> RoutingEngine:
    return RoutingEngine(parse_config(config_json), today=today)


async def _channel_id(conn: AsyncConnection, org_id: int, channel_code: str | None) -> int | None:
    if channel_code is None:
        return None
    try:
        return (await channels.channel_policy(conn, org_id, channel_code)).id
    except UnknownChannel:
        raise RoutingChannelNotFound(f"no active channel {channel_code!r}") from None


def _config_out(
    channel_code: str | None, raw: dict[str, Any], updated_at: datetime | None
) -> RoutingConfigOut:
    return RoutingConfigOut(
        channel=channel_code,
        saved=updated_at is not None,
        updated_at=updated_at,
        config=RoutingConfig.model_validate(raw),
    )


def _money(minor: int | None) -> str | None:
    return None if minor is None else f"{minor // 100}.{minor % 100:02d}"


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
