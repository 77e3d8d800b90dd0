"""Magento's searchCriteria query parameters, and the pull cursor: the second of the last
change pulled plus the ids already pulled at that second, since Magento keeps whole seconds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ASC = "ASC"


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    value: str
    condition: str = "eq"


def search_criteria(
    groups: Sequence[Sequence[Filter]] = (),
    *,
    sort: Sequence[tuple[str, str]] = (),
    page_size: int,
    current_page: int = 1,
) -> list[tuple[str, str]]:
    """Filters in one group are OR-ed, groups are AND-ed; sort orders apply in turn."""
    params: list[tuple[str, str]] = []
    for g, group in enumerate(groups):
        for f, where in enumerate(group):
            key = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            params += [
                (f"{key}[field]", where.field),
                (f"{key}[value]", where.value),
                (f"{key}[condition_type]", where.condition),
            ]
    for s, (field, direction) in enumerate(sort):
        params += [
            (f"searchCriteria[sortOrders][{s}][field]", field),
            (f"searchCriteria[sortOrders][{s}][direction]", direction),
        ]
    params += [
        ("searchCriteria[pageSize]", str(page_size)),
        ("searchCriteria[currentPage]", str(current_page)),
    ]
    return params


@dataclass(frozen=True, slots=True)
class PullCursor:
    """Orders changed at `second` whose ids are in `seen` were pulled; any other order changed
    at that second, or any changed later, is still to come."""

    second: str  # "YYYY-MM-DD HH:MM:SS", UTC
    seen: frozenset[int] = frozenset()

    def encode(self) -> str:
        return f"{self.second}|{','.join(str(i) for i in sorted(self.seen))}"

    @classmethod
    def decode(cls, cursor: str) -> PullCursor:
        second, _, ids = cursor.partition("|")
        return cls(second, frozenset(int(i) for i in ids.split(",") if i))

    def after(self, orders: Iterable[tuple[str, int]]) -> PullCursor:
        """The cursor once these (updated_at, entity_id) pairs, oldest first, are pulled."""
        second, seen = self.second, set(self.seen)
        for updated_at, order_id in orders:
            if updated_at != second:
                second, seen = updated_at, set()
            seen.add(order_id)
        return PullCursor(second, frozenset(seen))
