"""Where a pull of Etsy receipts resumes: the last `updated_timestamp` taken (whole seconds,
as Etsy keeps it) and the receipts taken in that second, since `min_last_modified` includes
the second it names."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class PullCursor:
    since: int
    seen: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, text: str) -> PullCursor:
        moment, _, ids = text.partition("|")
        return cls(since=int(moment), seen={i for i in ids.split(",") if i})

    def __str__(self) -> str:
        return f"{self.since}|{','.join(sorted(self.seen))}"

    def already_taken(self, receipt_id: str, updated: int) -> bool:
        return updated < self.since or (updated == self.since and receipt_id in self.seen)

    def take(self, receipt_id: str, updated: int) -> None:
        if updated > self.since:
            self.since, self.seen = updated, set()
        self.seen.add(receipt_id)
