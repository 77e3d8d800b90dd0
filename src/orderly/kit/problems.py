"""Render every error as RFC 9457 application/problem+json with a stable `code`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from orderly.kit.errors import OrderlyError

PROBLEM_JSON = "application/problem+json"
# How long a client should wait before retrying while the database cannot be reached.
DATABASE_RETRY_AFTER = 2


def problem_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _orderly_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OrderlyError)
    headers = None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    return problem_response(exc.status, exc.to_problem(request.url.path), headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            400,
            {
                "type": "https://orderly.dev/problems/malformed_json",
                "title": "Malformed JSON",
                "status": 400,
                "code": "malformed_json",
                "detail": "the request body is not valid JSON",
                "errors": [{"field": "body", "message": str(e.get("msg"))} for e in errors],
            },
        )
    fields = [{"field": _field_path(e["loc"]), "message": str(e["msg"])} for e in errors]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return problem_response(
        422,
        {
            "type": "https://orderly.dev/problems/validation_error",
            "title": "Invalid input",
            "status": 422,
            "code": "validation_error",
            "detail": detail,
            "errors": fields,
        },
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return problem_response(
        exc.status_code,
        {
            "type": f"https://orderly.dev/problems/{code}",
            "title": str(exc.detail),
            "status": exc.status_code,
            "code": code,
            "detail": str(exc.detail),
        },
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    # Raised through SQLAlchemy (the driver's error in `orig`) or by the driver connection.
    if isinstance(getattr(exc, "orig", exc), psycopg.errors.TransactionRollback):
        # A deadlock or serialization failure: nothing was written, the request can be retried.
        return problem_response(
            409,
            {
                "type": "https://orderly.dev/problems/concurrent_update",
                "title": "Concurrent update",
                "status": 409,
                "code": "concurrent_update",
                "detail": "another request changed the same data at the same time; retry",
            },
            headers={"Retry-After": "1"},
        )
    return problem_response(
        503,
        {
            "type": "https://orderly.dev/problems/database_unavailable",
            "title": "Service unavailable",
            "status": 503,
            "code": "database_unavailable",
            "detail": "the database cannot be reached; retry shortly",
        },
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


async def _unstorable_value(request: Request, exc: Exception) -> Response:
    # A safety net: input that passed validation but that PostgreSQL cannot store (a NUL
    # character in a text, a number out of range) is the client's error, not ours.
    return problem_response(
        422,
        {
            "type": "https://orderly.dev/problems/invalid_value",
            "title": "Invalid input",
            "status": 422,
            "code": "invalid_value",
            "detail": "a value in the request cannot be stored (e.g. a NUL character)",
        },
    )


async def _integrity_error(request: Request, exc: Exception) -> Response:
    orig = getattr(exc, "orig", exc)
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    if constraint != "pk_idempotency_keys":
        raise exc
    # Two requests with one Idempotency-Key raced past the claim in the same instant; the
    # second one's COMMIT failed, so nothing of it was written, and a retry replays the first.
    return problem_response(
        409,
        {
            "type": "https://orderly.dev/problems/idempotency_key_in_use",
            "title": "Conflict",
            "status": 409,
            "code": "idempotency_key_in_use",
            "detail": "a request with this Idempotency-Key was being processed; retry",
        },
        headers={"Retry-After": "1"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OrderlyError, _orderly_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(DataError, _unstorable_value)
    # The same from statements run on the driver connection (kit.db), or refused by psycopg
    # itself before sending (a NUL character in a text parameter).
    app.add_exception_handler(psycopg.DataError, _unstorable_value)
    app.add_exception_handler(psycopg.OperationalError, _database_unavailable)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(psycopg.errors.UniqueViolation, _integrity_error)


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with a stable `code`",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
# What any /v1 operation can answer besides its own errors.
COMMON_ERRORS = {
    "401": "Missing, unknown or revoked API key (`unauthorized`)",
    "413": "The body is larger than the limit (`payload_too_large`)",
    "429": "The API key used its requests for this minute (`rate_limited`); see Retry-After",
    "503": "The database cannot be reached (`database_unavailable`); see Retry-After",
}
MALFORMED = "The body is not valid JSON (`malformed_json`)"
NOT_FOUND = "Nothing of this organization has this id or code"
# What a route's own error statuses mean; `responses(..., described=)` says it more precisely.
MEANINGS: dict[int, str] = {
    401: COMMON_ERRORS["401"],
    403: "The role may not do this (`forbidden`)",
    404: NOT_FOUND,
    409: "Illegal transition or conflict",
    422: "Invalid input, naming the field",
}


def responses(
    *statuses: int, described: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses=` entries of a route's errors, each a described problem+json:
    `responses(404, 409)`, or `responses(403, described={409: "The SKU is taken"})`."""
    descriptions = {status: MEANINGS[status] for status in statuses} | dict(described or {})
    return {
        status: {"description": description, "content": {PROBLEM_JSON: {}}}
        for status, description in sorted(descriptions.items())
    }


def document_problems(app: FastAPI) -> None:
    """Make the OpenAPI tell the truth about errors: every 4xx/5xx is problem+json (FastAPI
    documents its own 422 shape, which Orderly never sends), plus the errors any call can get."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if path.startswith("/v1/"):
                    for status, description in COMMON_ERRORS.items():
                        responses.setdefault(status, {"description": description})
                if "requestBody" in operation:
                    responses.setdefault("400", {"description": MALFORMED})
                if "{" in path:
                    responses.setdefault("404", {"description": NOT_FOUND})
                for status, response in responses.items():
                    content = response.get("content") or {}
                    if status[0] in "45" and set(content) <= {"application/json", PROBLEM_JSON}:
                        response["content"] = problem
        schema["components"]["schemas"].pop("HTTPValidationError", None)
        schema["components"]["schemas"].pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
