"""The client's address, through trusted proxies only."""

from __future__ import annotations

import re

import pytest

from orderly.kit.client_address import client_address, client_network, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 192.168.1.7, fd00::/8")


class TestAPeerThatIsNoTrustedProxy:
    def test_is_the_client_whatever_it_forwards(self) -> None:
        assert client_address("203.0.113.9", ["198.51.100.1"], PROXIES) == "203.0.113.9"

    def test_with_no_proxies_configured_forwarded_for_is_ignored(self) -> None:
        assert client_address("10.0.0.1", ["198.51.100.1"], ()) == "10.0.0.1"


class TestThroughTrustedProxies:
    def test_the_address_the_proxy_saw_is_the_client(self) -> None:
        assert client_address("10.0.0.1", ["198.51.100.1"], PROXIES) == "198.51.100.1"

    def test_walks_from_the_right_past_every_trusted_proxy(self) -> None:
        forwarded = ["198.51.100.1, 192.168.1.7", "10.2.3.4"]
        assert client_address("10.0.0.1", forwarded, PROXIES) == "198.51.100.1"

    def test_what_the_client_wrote_itself_is_not_believed(self) -> None:
        # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real address.
        forwarded = ["1.2.3.4, 198.51.100.1"]
        assert client_address("10.0.0.1", forwarded, PROXIES) == "198.51.100.1"

    def test_only_trusted_hops_leaves_the_farthest(self) -> None:
        assert client_address("10.0.0.1", ["10.9.9.9, 10.0.0.2"], PROXIES) == "10.9.9.9"

    def test_no_header_leaves_the_proxy(self) -> None:
        assert client_address("10.0.0.1", [], PROXIES) == "10.0.0.1"

    def test_garbage_stops_at_the_proxy_that_passed_it_on(self) -> None:
        assert client_address("10.0.0.1", ["198.51.100.1, nonsense"], PROXIES) == "10.0.0.1"

    def test_ipv6(self) -> None:
        assert client_address("fd00::1", ["2001:db8::5"], PROXIES) == "2001:db8::5"


def test_a_bad_proxy_entry_is_named() -> None:
    with pytest.raises(ValueError, match=re.escape("'10.0.0.300'")):
        parse_networks("10.0.0.0/8,10.0.0.300")


def test_attempts_are_counted_by_address_or_by_ipv6_64() -> None:
    assert client_network("198.51.100.7") == "198.51.100.7"
    assert client_network("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert client_network("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_network("::ffff:198.51.100.7") == "::ffff:198.51.100.7"
    assert client_network("unknown") == "unknown"
