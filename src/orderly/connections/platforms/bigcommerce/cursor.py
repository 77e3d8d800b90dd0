"""Where a pull of BigCommerce orders resumes: the last modification time seen, and the orders
already taken at that second, since `min_date_modified` is inclusive and counts whole seconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(slots=True)
class PullCursor:
    since: datetime
    seen: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, text: str) -> PullCursor:
        moment, _, ids = text.partition("|")
        since = datetime.fromisoformat(moment)
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return cls(since=since.astimezone(UTC), seen={i for i in ids.split(",") if i})

    def __str__(self) -> str:
        ids = ",".join(sorted(self.seen, key=lambda i: (len(i), i)))
        return f"{self.since.isoformat()}|{ids}"

    def query_time(self) -> str:
        """`min_date_modified` in the ISO 8601 form BigCommerce accepts."""
        return self.since.isoformat(timespec="seconds")

    def already_taken(self, order_id: str, modified: datetime) -> bool:
        return modified < self.since or (modified == self.since and order_id in self.seen)

    def take(self, order_id: str, modified: datetime) -> None:
        if modified > self.since:
            self.since, self.seen = modified, set()
        self.seen.add(order_id)
