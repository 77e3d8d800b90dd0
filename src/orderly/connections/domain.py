"""Pure rules of connections: what stock a platform is shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def quantities_to_show(
    available_by_location: Mapping[str, int],
    *,
    location_map: Mapping[str, Sequence[str]],
    default_location: str | None,
    buffer: int,
) -> dict[str | None, int]:
    """Units to show per platform location: the available units of the locations it maps (or,
    with no map, of every eligible location at the default one), less the buffer, never
    below zero. Every channel sees the same shared pool, each less its own buffer."""
    if not location_map:
        pool = sum(max(units, 0) for units in available_by_location.values())
        return {default_location: max(pool - buffer, 0)}
    return {
        platform_location: max(
            sum(max(available_by_location.get(code, 0), 0) for code in codes) - buffer, 0
        )
        for platform_location, codes in location_map.items()
    }
