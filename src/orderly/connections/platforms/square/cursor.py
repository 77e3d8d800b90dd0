"""Where a pull of Square orders resumes: the last `updated_at` seen, and the orders already
taken at that instant, since the search's time range includes its start."""

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
        return f"{self.since.isoformat()}|{','.join(sorted(self.seen))}"

    def query_time(self) -> str:
        """`start_at` in RFC 3339, to the millisecond Square keeps."""
        return self.since.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def already_taken(self, order_id: str, updated: datetime) -> bool:
        return updated < self.since or (updated == self.since and order_id in self.seen)

    def take(self, order_id: str, updated: datetime) -> None:
        if updated > self.since:
            self.since, self.seen = updated, set()
        self.seen.add(order_id)
