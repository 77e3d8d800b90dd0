"""The app's routes as data, for tests that must cover every route, including future ones."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import schemathesis
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from hypothesis.errors import NonInteractiveExampleWarning
from schemathesis import GenerationMode

from orderly.app import create_app
from orderly.settings import Settings
from orderly.tenancy.domain import Permission
from tests.security.world import World

APP = create_app(Settings(database_url="postgresql://unused/orderly"))
SPEC = APP.openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    permission: Permission | None
    params: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _permissions(dependant: Dependant) -> Iterator[Permission]:
    for sub in dependant.dependencies:
        call = sub.call
        if call is not None and call.__qualname__.startswith("require."):
            yield inspect.getclosurevars(call).nonlocals["permission"]
        yield from _permissions(sub)


def _api_routes() -> Iterator[tuple[str, set[str], Dependant]]:
    for route in APP.routes:
        if isinstance(route, APIRoute):
            yield route.path, set(route.methods), route.dependant
        elif hasattr(route, "effective_route_contexts"):
            # Routers included with a prefix, as FastAPI keeps them.
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute) and context.dependant:
                    yield context.path_format, set(context.methods), context.dependant


def routes() -> list[Route]:
    found = []
    for path, methods, dependant in _api_routes():
        permissions = set(_permissions(dependant))
        assert len(permissions) <= 1, f"{path} asks for several permissions"
        params = tuple(p.name for p in dependant.path_params)
        for method in sorted(methods):
            found.append(Route(method, path, next(iter(permissions), None), params))
    assert len(found) == sum(len(ops) for ops in SPEC["paths"].values()), "routes went missing"
    return found


# An id no organization has, for objects the test shop does not make yet.
ABSENT_ID = 2**40


def path_values(route: Route, world: World) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in route.params:
        if name == "code" and route.path.startswith("/v1/carriers"):
            values[name] = world.ids["carrier_code"]
        else:
            values[name] = world.ids.get(name, ABSENT_ID)
    return values


def missing_kinds(route: Route, world: World) -> list[str]:
    return [name for name in route.params if name not in world.ids]


def valid_requests(route: Route, world: World, count: int) -> list[Any]:
    """`count` requests the schema accepts, with `world`'s ids in the path."""
    operation = SCHEMA[route.path][route.method]
    strategy = operation.as_strategy(
        GenerationMode.POSITIVE, path_parameters=path_values(route, world)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        return [strategy.example() for _ in range(count)]


async def send(client: httpx.AsyncClient, case: Any, headers: dict[str, str]) -> httpx.Response:
    kwargs: dict[str, Any] = {
        "headers": {**(case.headers or {}), **headers},
        "params": case.query or None,
    }
    if isinstance(case.body, (dict, list)):
        kwargs["json"] = case.body
    elif isinstance(case.body, (str, bytes)):
        kwargs["content"] = case.body
        kwargs["headers"]["content-type"] = case.media_type or "text/plain"
    return await client.request(case.method, case.formatted_path, **kwargs)
