"""Pure rules of connections: what stock a platform is shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def quantities_to_show(
    available_by_location: Mapping[str, int],
    *,
    location_map: Mapping[str, Sequence[str]],
    default_location: str | None,
    buffer: int,
    share: tuple[Mapping[str, Share], str] | None = None,
) -> dict[str | None, int]:
    """Units to show per platform location: the available units of the locations it maps (or,
    with no map, of every eligible location at the default one), less the buffer, never
    below zero. In the shared model every channel sees the same pool, each less its own
    buffer; with `share` (the shares, and this channel's code) it sees its share of it."""

    def shown(pool: int) -> int:
        if share is not None:
            pool = allocated_units(pool, share[0], share[1])
        return max(pool - buffer, 0)

    if not location_map:
        return {default_location: shown(sum(max(u, 0) for u in available_by_location.values()))}
    return {
        platform_location: shown(sum(max(available_by_location.get(code, 0), 0) for code in codes))
        for platform_location, codes in location_map.items()
    }


@dataclass(frozen=True, slots=True)
class Share:
    """A channel's share of the stock in the allocated model: a percent or a fixed number of
    units per SKU."""

    percent: int | None = None
    units: int | None = None


def allocated_units(available: int, shares: Mapping[str, Share], channel: str) -> int:
    """What one channel is shown of `available` units in the allocated model. Fixed numbers of
    units come first, in channel order, each up to what is left; percents are of what the fixed
    ones leave. A channel with no share is shown none. However the shares are set, what all
    channels are shown adds up to no more than `available`: percents that add up to more than
    100 (the API refuses them) are taken in proportion."""
    left = max(available, 0)
    fixed: dict[str, int] = {}
    for code in sorted(shares):
        units = shares[code].units
        if units is not None:
            fixed[code] = min(units, left)
            left -= fixed[code]
    if channel in fixed:
        return fixed[channel]
    share = shares.get(channel)
    if share is None or share.percent is None:
        return 0
    whole = max(100, sum(s.percent or 0 for s in shares.values()))
    return left * share.percent // whole
