"""Square's refusals: a 4xx carries `errors[]`, each with a category, a code, a detail and the
request field it is about. A response hook reads them into the `PlatformRefused` the connector
sees, so that a batch can tell which of its changes Square refused. 401, 403, 429 and 5xx are
left to the connection's `VendorHttp` (credentials refused, waited out, retried)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from orderly.connections.errors import PlatformRefused
from orderly.kit.vendor_http import VendorHttp

_LEFT_TO_VENDOR_HTTP = {401, 403, 429}
_CHANGE_INDEX = re.compile(r"^changes\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class SquareError:
    category: str
    code: str
    detail: str = ""
    field: str = ""

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.code}{where}: {self.detail}" if self.detail else f"{self.code}{where}"

    def change_index(self) -> int | None:
        """The position of the change a batch error names (`changes[3].physical_count...`)."""
        found = _CHANGE_INDEX.match(self.field)
        return int(found.group(1)) if found else None


def square_errors(body: Any) -> list[SquareError]:
    if not isinstance(body, dict):
        return []
    return [
        SquareError(
            category=str(e.get("category") or ""),
            code=str(e.get("code") or ""),
            detail=str(e.get("detail") or ""),
            field=str(e.get("field") or ""),
        )
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]


def describe(errors: list[SquareError]) -> str:
    return "; ".join(str(e) for e in errors) or "no errors given"


def refusal(status: int, errors: list[SquareError]) -> PlatformRefused:
    return PlatformRefused(
        f"square answered {status}: {describe(errors)}",
        extra={"vendor_status": status, "square_errors": [asdict(e) for e in errors]},
    )


def errors_of(refused: PlatformRefused) -> list[SquareError]:
    return [SquareError(**e) for e in refused.extra.get("square_errors") or []]


def codes_of(refused: PlatformRefused) -> set[str]:
    return {e.code for e in errors_of(refused)}


class RefusalReader:
    """A response hook on the connection's client: a Square 4xx becomes a `PlatformRefused`
    that names Square's errors."""

    async def __call__(self, response: httpx.Response) -> None:
        status = response.status_code
        if not 400 <= status < 500 or status in _LEFT_TO_VENDOR_HTTP:
            return
        await response.aread()
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        raise refusal(status, square_errors(body))


def read_refusals(http: VendorHttp) -> None:
    """Install the hook once per client, however many connectors are built over it."""
    hooks = http.client.event_hooks
    on_response = list(hooks.get("response", []))
    if any(isinstance(hook, RefusalReader) for hook in on_response):
        return
    http.client.event_hooks = {**hooks, "response": [*on_response, RefusalReader()]}
