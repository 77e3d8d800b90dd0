"""Where a pull of Flipkart shipments resumes: the time window searched and the stream under
way, so a crash repeats at most that stream, and a finished window starts the next one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

# The next window starts this much before the last one ended: a change Flipkart records late
# is still found, and one found twice is no change for Orderly.
OVERLAP = timedelta(minutes=5)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PullCursor:
    since: datetime
    until: datetime | None = None
    stream: int = 0

    @classmethod
    def parse(cls, text: str) -> PullCursor:
        since, _, rest = text.partition("|")
        until, _, stream = rest.partition("|")
        return cls(
            since=_moment(since),
            until=_moment(until) if until else None,
            stream=int(stream or 0),
        )

    def __str__(self) -> str:
        until = self.until.isoformat() if self.until else ""
        return f"{self.since.isoformat()}|{until}|{self.stream if self.until else 0}"

    def window(self, now: datetime) -> PullCursor:
        """The window to search: the one under way, or a new one from `since` to now."""
        return self if self.until else replace(self, until=now, stream=0)

    def at(self, stream: int) -> PullCursor:
        return replace(self, stream=stream)

    def finished(self) -> PullCursor:
        """The whole window is taken: the next starts where it ended, less the overlap."""
        assert self.until is not None
        return PullCursor(since=self.until - OVERLAP)
