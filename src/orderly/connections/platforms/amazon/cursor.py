"""Where a pull of Amazon orders resumes: the last `LastUpdateDate` taken, and the orders taken
at that instant, since `LastUpdatedAfter` includes its own instant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def amazon_time(value: str) -> datetime:
    """An ISO 8601 time as Amazon writes it ("2026-11-02T10:15:00Z"), in UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC, to the precision the time has (Amazon's are whole seconds)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class PullCursor:
    since: datetime
    seen: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, text: str) -> PullCursor:
        moment, _, ids = text.partition("|")
        return cls(since=amazon_time(moment), seen={i for i in ids.split(",") if i})

    def __str__(self) -> str:
        return f"{iso(self.since)}|{','.join(sorted(self.seen))}"

    def already_taken(self, order_id: str, updated: datetime) -> bool:
        return updated < self.since or (updated == self.since and order_id in self.seen)

    def take(self, order_id: str, updated: datetime) -> None:
        if updated > self.since:
            self.since, self.seen = updated, set()
        self.seen.add(order_id)
