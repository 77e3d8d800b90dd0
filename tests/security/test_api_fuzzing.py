"""Schemathesis over every operation of /openapi.json: no 5xx, and every response is documented
and matches its schema. Each operation runs twice per example: with the generated path ids
(mostly unknown: 404s) and with the ids of real objects of a small shop, so the bodies reach
the services."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from orderly.app import create_app
from orderly.kit.db import Database
from orderly.settings import Settings
from tests.security.routes import SPEC
from tests.security.world import World, build_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Not callable meaningfully by a generator:
# - /track/{tracking_number} is a public HTML page (no JSON schema to conform to);
# - /healthz is a liveness probe with no input;
# - /drop-ship/{po_number} is a supplier's HTML page (a form, behind a signed token).
EXCLUDED_PATHS = ["/track/{tracking_number}", "/healthz", "/drop-ship/{po_number}"]
# `make test` runs a fixed set; ORDERLY_FUZZ_EXAMPLES=200 runs a deeper, random one.
EXAMPLES = int(os.environ.get("ORDERLY_FUZZ_EXAMPLES", "20"))
DEEP = "ORDERLY_FUZZ_EXAMPLES" in os.environ
LOCKOUT_PATHS = {"/v1/api-keys/{key_id}/revoke"}


@pytest_asyncio.fixture(scope="module")
async def fuzz_world(client: httpx.AsyncClient, db: Database, settings: Settings) -> World:
    return await build_world(client, db, "FZ", settings)


def _operations() -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, operations in SPEC["paths"].items()
        if path not in EXCLUDED_PATHS
        for method in operations
    ]


@pytest.fixture(scope="module")
def api_schema(settings: Settings) -> Any:
    # An app of its own that opens its own database pool in the generator's event loop.
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 0}))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_operation_conforms(
    method: str, path: str, api_schema: Any, fuzz_world: World
) -> None:
    operation = api_schema[path][method]
    headers = fuzz_world.org.headers

    # Valid input, and input that breaks the schema (which must be a 4xx, never a 5xx).
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=not DEEP,
        database=None,
    )
    def check(case: Any) -> None:
        if path in LOCKOUT_PATHS:
            # A generated id could be the caller's own key: revoke only the spare one.
            case.path_parameters = {**case.path_parameters, "key_id": fuzz_world.ids["key_id"]}
        case.call_and_validate(headers=headers, checks=CHECKS)
        real = {
            name: fuzz_world.ids[name]
            for name in (case.path_parameters or {})
            if name in fuzz_world.ids
        }
        if real:
            case.path_parameters = {**case.path_parameters, **real}
            case.call_and_validate(headers=headers, checks=CHECKS)

    check()
