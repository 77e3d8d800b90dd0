"""The address of the client that sent a request. `X-Forwarded-For` is believed only as far as
proxies listed in ``ORDERLY_TRUSTED_PROXIES`` wrote it: anyone else can write what they like."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "unknown"


def parse_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """IPs and CIDRs, comma-separated or as a list (ValueError names a bad entry)."""
    entries = value.split(",") if isinstance(value, str) else value
    networks = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR block") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]
) -> str:
    """The client's address: the peer itself unless it is a trusted proxy; then the first
    address, walking `X-Forwarded-For` from the right, that is not a trusted proxy."""
    if peer is None:
        return UNKNOWN
    nearest = _address(peer)
    if nearest is None or not _trusted(nearest, proxies):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Garbage from further away: the trusted proxy that passed it on is the client.
            break
        nearest = address
        if not _trusted(address, proxies):
            break
    return str(nearest)


def client_network(address: str) -> str:
    """What to count a client's attempts by: its address, or for IPv6 its /64, since one host
    is usually given a whole /64 and can pick a fresh address in it for every attempt."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


def request_client_address(request: HTTPConnection, proxies: Sequence[Network]) -> str:
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), proxies)
