"""What every answer of the API must look like, whatever the machine sent: a 2xx, or a 4xx
problem+json with a stable code; and a replayed Idempotency-Key answer belongs to the same
request (method, path and body) that first used the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


class WrongAnswer(AssertionError):
    """The API answered in a way no client can rely on."""


def check_answer(response: httpx.Response) -> None:
    request = f"{response.request.method} {response.request.url.path}"
    status = response.status_code
    if status >= 500 or status < 200 or 300 <= status < 400:
        raise WrongAnswer(f"{request} answered {status}: {response.text[:500]}")
    if status < 400:
        return
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if media_type != "application/problem+json":
        raise WrongAnswer(f"{request} answered {status} as {media_type!r}: {response.text[:500]}")
    body: Any = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        raise WrongAnswer(f"{request} answered {status} without a problem code: {body}")
    if body.get("status") != status:
        raise WrongAnswer(f"{request} answered {status} with a problem of status {body}")


@dataclass
class IdempotencyKeys:
    """The requests sent with each Idempotency-Key, to tell a true replay from a stolen one."""

    sent: dict[str, set[tuple[str, str, bytes]]] = field(default_factory=dict)

    def check(self, key: str, response: httpx.Response) -> None:
        request = (response.request.method, response.request.url.path, response.request.content)
        if response.headers.get("idempotent-replayed") == "true" and request not in self.sent.get(
            key, set()
        ):
            raise WrongAnswer(
                f"{request[0]} {request[1]} with Idempotency-Key {key!r} replayed the answer of"
                f" another request: {response.text[:300]}"
            )
        self.sent.setdefault(key, set()).add(request)
