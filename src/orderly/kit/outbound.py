"""Outbound URLs that users give (webhooks, and every integration URL to come): normalised,
refused when they lead into a private network, and called only on the address that was checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

from orderly.kit.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("http", "https")
MOST_NETWORKS = 20
# Shared address space behind carrier-grade NAT (RFC 6598): not public, yet not "private" to
# Python's ipaddress.
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
# IPv6 addresses that carry an IPv4 address a packet ends up at: NAT64 (RFC 6052).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# What no grant may open: this machine, link-local addresses (where cloud metadata services
# answer), the unspecified, multicast, reserved and broadcast addresses.
NEVER_GRANTED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "224.0.0.0/3",
        "::/127",
        "::ffff:0:0/96",
        "fe80::/10",
        "ff00::/8",
    )
)
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")


class InvalidOutboundUrl(InvalidInput):
    code = "invalid_url"


class OutboundAddressRefused(InvalidInput):
    code = "url_address_not_allowed"


class InvalidNetwork(InvalidInput):
    code = "invalid_network"


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Which addresses a call may reach: public ones always; the others when the installation
    allows them all (development, tests) or they lie in networks granted to this one webhook
    or connection."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        """Why this address may not be called, or None when it may."""
        target = _embedded_ipv4(address)
        kind = _kind_of_non_public(target)
        if kind is None or self.allow_private:
            return None
        if any(n.version == target.version and target in n for n in self.allowed_networks):
            return None
        shown = str(target) if target == address else f"{address}, that is {target}"
        return f"{shown} ({kind})"


@dataclass(frozen=True, slots=True)
class OutboundUrl:
    """A URL as it will be called: host in ASCII, lower case, no trailing dot, an IP address
    in its usual form whatever the encoding it was given in."""

    url: str
    host: str
    address: IPAddress | None


def parse_url(text: str, *, field: str = "url") -> OutboundUrl:
    """The URL normalised; refused (422 naming the field) unless it is http(s), with a host and
    no credentials."""
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        raise InvalidOutboundUrl("not a URL", field=field) from None
    if url.scheme not in SCHEMES or not url.raw_host:
        raise InvalidOutboundUrl("the URL must be http:// or https:// with a host", field=field)
    if url.userinfo:
        raise InvalidOutboundUrl("the URL may not carry a user name or password", field=field)
    host = url.raw_host.decode("ascii").lower().removesuffix(".")
    try:
        address = _literal_address(host)
    except ValueError:
        raise InvalidOutboundUrl(f"{host!r} is not a valid IP address", field=field) from None
    if address is not None:
        host = str(address)
    elif len(host) > 253 or not _HOST_NAME.fullmatch(host):
        raise InvalidOutboundUrl(f"{host!r} is not a valid host name", field=field)
    return OutboundUrl(str(url.copy_with(host=host)), host, address)


def check_url(text: str, policy: OutboundPolicy, *, field: str = "url") -> str:
    """The normalised URL, if the policy allows its host; names are checked again, resolved,
    when called (`resolve`)."""
    parsed = parse_url(text, field=field)
    if parsed.address is not None:
        refusal = policy.refusal(parsed.address)
    elif _is_localhost(parsed.host) and not policy.allow_private:
        refusal = f"{parsed.host} (this machine)"
    else:
        refusal = None
    if refusal is not None:
        raise OutboundAddressRefused(
            f"the host is {refusal}: outbound calls may not go there", field=field
        )
    return parsed.url


def parse_networks(values: Iterable[str], *, field: str = "allowed_networks") -> list[str]:
    """Granted networks in CIDR notation, normalised; none may open this machine, link-local,
    multicast or reserved addresses."""
    networks: list[str] = []
    for value in values:
        try:
            network = ipaddress.ip_network(value.strip(), strict=True)
        except ValueError as error:
            raise InvalidNetwork(
                f"{value!r} is not a network in CIDR notation ({error})", field=field
            ) from None
        if any(network.overlaps(n) for n in NEVER_GRANTED if n.version == network.version):
            raise InvalidNetwork(
                f"{network} includes addresses that are never allowed (this machine, "
                "link-local, multicast or reserved)",
                field=field,
            )
        if str(network) not in networks:
            networks.append(str(network))
    if len(networks) > MOST_NETWORKS:
        raise InvalidNetwork(f"at most {MOST_NETWORKS} networks", field=field)
    return networks


def networks_of(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Stored (already checked) networks, for a policy."""
    return tuple(ipaddress.ip_network(v) for v in values)


async def resolve(host: str, port: int, policy: OutboundPolicy) -> list[IPAddress]:
    """The addresses to connect to: a name is resolved (off the event loop) and refused when any
    of its addresses is not allowed, so that no answer of its DNS could lead inside."""
    try:
        literal = _literal_address(host.lower().removesuffix("."))
    except ValueError:
        raise httpcore.ConnectError(f"{host} is not a valid IP address") from None
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
        addresses = []
        for *_, sockaddr in found:
            address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
            if address not in addresses:
                addresses.append(address)
    for address in addresses:
        refusal = policy.refusal(address)
        if refusal is not None:
            at = "the host is" if literal is not None else f"{host} resolves to"
            raise OutboundAddressRefused(f"{at} {refusal}: outbound calls may not go there")
    return addresses


class _CheckedNetwork(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the policy allows, to the very address checked."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve(host, port, self._policy)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no answer from DNS for {host}") from None
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._network.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as error:
                failure = error
        assert failure is not None  # resolve() returns at least one address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("outbound calls go over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """HTTP(S) whose every connection goes to an address the policy allows, resolved once and
    connected to directly, so a DNS answer that changes after the check (rebinding) is never
    used. TLS still verifies the URL's own host name (SNI)."""

    def __init__(self, policy: OutboundPolicy, *, ssl_context: ssl.SSLContext | None = None):
        context = ssl_context or httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=context, trust_env=False)
        # The connection pool of httpx's own transport, with the checked network under it.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context, network_backend=_CheckedNetwork(policy)
        )


def guarded_client(
    policy: OutboundPolicy, *, timeout: httpx.Timeout, ssl_context: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """A client for outbound calls: checked addresses, no redirects followed, and no proxy
    from the environment (it would connect in our stead, unchecked)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, ssl_context=ssl_context),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )


def _literal_address(host: str) -> IPAddress | None:
    """The address a host is, when it is one: IPv6, or IPv4 in any form a resolver accepts
    (decimal, hex, octal, fewer than four parts); None for a name."""
    if ":" in host:
        return ipaddress.IPv6Address(host)
    labels = host.split(".")
    if not _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None
    numbers = [_ipv4_number(label) for label in labels]
    if len(numbers) > 4 or any(n > 255 for n in numbers[:-1]):
        raise ValueError(host)
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError(host)
    value = numbers[-1] + sum(n << (8 * (3 - i)) for i, n in enumerate(numbers[:-1]))
    return ipaddress.IPv4Address(value)


def _ipv4_number(label: str) -> int:
    if label.startswith("0x"):
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        return int(label[1:], 8)
    return int(label, 10)


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one leads to (IPv4-mapped, 6to4, NAT64), else itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _kind_of_non_public(address: IPAddress) -> str | None:
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def _is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")
