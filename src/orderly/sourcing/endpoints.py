"""The sourcing API: routing configurations and simulations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from orderly.kit.deps import Conn
from orderly.kit.problems import responses
from orderly.sourcing import service, simulation
from orderly.sourcing.config import RoutingConfig
from orderly.sourcing.schemas import RoutingConfigOut, SimulateIn, SimulationOut
from orderly.tenancy.deps import Reader, SettingsWriter

router = APIRouter(tags=["sourcing"])

ERRORS = responses(401, 403, 404, 422)
ChannelCode = Annotated[str, Path(min_length=1, max_length=100)]


@router.get(
    "/routing-configs/default",
    response_model=RoutingConfigOut,
    summary="The organization's default routing configuration",
    responses=ERRORS,
)
async def get_default_config(conn: Conn, principal: Reader) -> RoutingConfigOut:
    return await service.get_routing_config(conn, principal.org_id)


@router.put(
    "/routing-configs/default",
    response_model=RoutingConfigOut,
    summary="Replace the organization's default routing configuration",
    responses=ERRORS,
)
async def put_default_config(
    conn: Conn, principal: SettingsWriter, config: RoutingConfig
) -> RoutingConfigOut:
    return await service.put_routing_config(conn, principal.org_id, config)


@router.get(
    "/routing-configs/channels/{channel_code}",
    response_model=RoutingConfigOut,
    summary="A channel's own routing configuration (over the default, key by key)",
    responses=ERRORS,
)
async def get_channel_config(
    conn: Conn, principal: Reader, channel_code: ChannelCode
) -> RoutingConfigOut:
    return await service.get_routing_config(conn, principal.org_id, channel_code)


@router.put(
    "/routing-configs/channels/{channel_code}",
    response_model=RoutingConfigOut,
    summary="Replace a channel's routing configuration",
    responses=ERRORS,
)
async def put_channel_config(
    conn: Conn, principal: SettingsWriter, channel_code: ChannelCode, config: RoutingConfig
) -> RoutingConfigOut:
    return await service.put_routing_config(conn, principal.org_id, config, channel_code)


@router.post(
    "/sourcing/simulate",
    response_model=SimulationOut,
    summary="Where would this order ship from? Plan and explanation; nothing is reserved",
    responses=ERRORS,
)
async def simulate(conn: Conn, principal: Reader, body: SimulateIn) -> SimulationOut:
    return await simulation.simulate(conn, principal.org_id, body)
