"""Shipping zones from origin and destination, the way US parcel carriers band distance: from
coordinates, else from 3-digit ZIP prefixes, into zones 2 to 8 (docs/shipping.md).
"""

from __future__ import annotations

import math
from typing import Any

# (first 3-digit prefix, last prefix, latitude, longitude)
ZIP3_CENTROIDS: tuple[tuple[int, int, float, float], ...] = (
    (5, 5, 40.8, -73.0),  # NY (Holtsville)
    (6, 9, 18.2, -66.5),  # PR, VI
    (10, 27, 42.3, -71.8),  # MA
    (28, 29, 41.7, -71.5),  # RI
    (30, 38, 43.2, -71.6),  # NH
    (39, 49, 45.0, -69.2),  # ME
    (50, 59, 44.0, -72.7),  # VT
    (60, 69, 41.6, -72.7),  # CT
    (70, 89, 40.2, -74.6),  # NJ
    (100, 119, 40.7, -73.9),  # New York City, Long Island
    (120, 149, 42.9, -75.5),  # upstate NY
    (150, 196, 40.9, -77.7),  # PA
    (197, 199, 39.0, -75.5),  # DE
    (200, 205, 38.9, -77.0),  # DC
    (206, 219, 39.0, -76.7),  # MD
    (220, 246, 37.5, -78.8),  # VA
    (247, 268, 38.6, -80.6),  # WV
    (270, 289, 35.6, -79.4),  # NC
    (290, 299, 33.9, -80.9),  # SC
    (300, 319, 32.7, -83.4),  # GA
    (320, 349, 28.6, -82.4),  # FL
    (350, 369, 32.8, -86.8),  # AL
    (370, 385, 35.9, -86.4),  # TN
    (386, 397, 32.7, -89.7),  # MS
    (398, 399, 31.5, -84.2),  # GA (south)
    (400, 427, 37.5, -85.3),  # KY
    (430, 459, 40.3, -82.8),  # OH
    (460, 479, 39.9, -86.3),  # IN
    (480, 499, 43.3, -84.5),  # MI
    (500, 528, 42.0, -93.5),  # IA
    (530, 549, 44.6, -89.9),  # WI
    (550, 567, 45.9, -94.3),  # MN
    (570, 577, 44.4, -100.2),  # SD
    (580, 588, 47.5, -100.5),  # ND
    (590, 599, 47.0, -109.6),  # MT
    (600, 629, 40.0, -89.2),  # IL
    (630, 658, 38.4, -92.5),  # MO
    (660, 679, 38.5, -98.4),  # KS
    (680, 693, 41.5, -99.8),  # NE
    (700, 714, 31.1, -92.0),  # LA
    (716, 729, 34.9, -92.4),  # AR
    (730, 749, 35.6, -97.5),  # OK
    (750, 769, 32.8, -96.8),  # TX (north and east)
    (770, 779, 29.8, -95.4),  # TX (Houston)
    (780, 789, 29.9, -98.2),  # TX (south, Austin, San Antonio)
    (790, 799, 32.5, -102.0),  # TX (west)
    (800, 816, 39.0, -105.5),  # CO
    (820, 831, 43.0, -107.6),  # WY
    (832, 838, 44.4, -114.6),  # ID
    (840, 847, 39.3, -111.7),  # UT
    (850, 865, 34.2, -111.6),  # AZ
    (870, 884, 34.4, -106.1),  # NM
    (889, 898, 38.5, -117.0),  # NV
    (900, 935, 34.2, -118.2),  # CA (south)
    (936, 961, 38.0, -121.5),  # CA (central and north)
    (967, 968, 21.3, -157.8),  # HI
    (970, 979, 44.0, -120.6),  # OR
    (980, 994, 47.4, -120.5),  # WA
    (995, 999, 61.2, -149.9),  # AK
)

# Upper bound of each zone in kilometres (about 150, 300, 600, 1000, 1400, 1800 miles).
ZONE_BANDS_KM: tuple[tuple[float, int], ...] = (
    (241.0, 2),
    (483.0, 3),
    (966.0, 4),
    (1609.0, 5),
    (2253.0, 6),
    (2897.0, 7),
)
FARTHEST_ZONE = 8
EARTH_RADIUS_KM = 6371.0


def zip3_centroid(postal_code: str) -> tuple[float, float] | None:
    digits = "".join(ch for ch in postal_code if ch.isdigit())
    if len(digits) < 3:
        return None
    prefix = int(digits[:3])
    for low, high, lat, lon in ZIP3_CENTROIDS:
        if low <= prefix <= high:
            return lat, lon
    return None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def zone_for_distance(km: float) -> int:
    for limit, zone in ZONE_BANDS_KM:
        if km <= limit:
            return zone
    return FARTHEST_ZONE


def _coordinates(address: dict[str, Any]) -> tuple[float, float] | None:
    lat, lon = address.get("latitude"), address.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lat), float(lon)
    return None


def _country(address: dict[str, Any]) -> str:
    return str(address.get("country") or "US").upper()


def shipping_zone(origin: dict[str, Any], destination: dict[str, Any]) -> int | None:
    """The zone between two addresses, or None when it cannot be told (unknown postal code,
    or a border to cross: the rate-table carrier ships within one country)."""
    if _country(origin) != _country(destination):
        return None
    a, b = _coordinates(origin), _coordinates(destination)
    if (a is None or b is None) and _country(origin) == "US":
        a = a or zip3_centroid(str(origin.get("postal_code", "")))
        b = b or zip3_centroid(str(destination.get("postal_code", "")))
    if a is None or b is None:
        return None
    return zone_for_distance(distance_km(a, b))
