"""One error base for the whole project, rendered as RFC 9457 problem+json with a stable code."""

from __future__ import annotations

from typing import Any

_PROTECTED = frozenset({"type", "title", "status", "code", "detail", "instance"})


class OrderlyError(Exception):
    """Base error. ``code`` is stable and documented; ``status`` is the HTTP status."""

    code: str = "error"
    status: int = 400
    title: str = "Request failed"
    # Seconds after which a retry may succeed, sent as Retry-After (e.g. on a 503).
    retry_after: int | None = None

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.extra = extra or {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://orderly.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["errors"] = [{"field": self.field, "message": self.detail}]
        # The RFC 9457 members (`status` is the HTTP status) are never overridden by extras;
        # an error that names several fields may replace `errors`.
        body.update({k: v for k, v in self.extra.items() if k not in _PROTECTED})
        return body


class NotFound(OrderlyError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(OrderlyError):
    code = "conflict"
    status = 409
    title = "Conflict"


class InvalidInput(OrderlyError):
    code = "validation_error"
    status = 422
    title = "Invalid input"


class Unauthorized(OrderlyError):
    code = "unauthorized"
    status = 401
    title = "Authentication required"


class Forbidden(OrderlyError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Illegal state transition"
