"""MyDHL API's problem answers: {instance, detail, title, message, status, additionalDetails},
with `status` a string, as the specification's examples show them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.responses import JSONResponse

INSTANCE = "/expressapi"


class DhlProblem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str = "Bad request",
        message: str = "Bad request",
        details: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.title, self.message = status, detail, title, message
        self.details, self.headers = details, headers or {}

    def response(self, instance: str) -> JSONResponse:
        body: dict[str, Any] = {
            "instance": instance,
            "detail": self.detail,
            "title": self.title,
            "message": self.message,
            "status": str(self.status),
        }
        if self.details:
            body["additionalDetails"] = self.details
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def bad_request(detail: str) -> DhlProblem:
    return DhlProblem(400, detail)


def validation_error(errors: list[str]) -> DhlProblem:
    detail = errors[0] if len(errors) == 1 else "Multiple problems found, see Additional Details"
    return DhlProblem(
        422,
        detail,
        title="Validation error",
        message="Unprocessable Entity",
        details=errors if len(errors) > 1 else None,
    )


def not_found(detail: str = "No data found") -> DhlProblem:
    return DhlProblem(404, detail, title="Not data found", message="Not data found")


def missing(name: str) -> DhlProblem:
    return DhlProblem(400, f"Missing mandatory parameters: {name}", title="Missing parameters")


def wrong_format(name: str, why: str = "") -> DhlProblem:
    reason = f" ({why})" if why else ""
    return DhlProblem(
        400, f"Parameters not having correct format: {name}{reason}", title="Wrong format"
    )


def _json(value: Any) -> Any:
    """Decimals as JSON numbers."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def answer(
    body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A successful answer, its decimals as JSON numbers."""
    return JSONResponse(_json(body), status_code=status, headers=headers)
