"""Sales platforms by name: a connection names its platform, and the registry builds the
connector for it."""

from __future__ import annotations

from orderly.connections.errors import UnknownPlatform
from orderly.connections.platforms.amazon.connector import AmazonConnector
from orderly.connections.platforms.bigcommerce.connector import BigCommerceConnector
from orderly.connections.platforms.etsy.connector import EtsyConnector
from orderly.connections.platforms.flipkart.connector import FlipkartConnector
from orderly.connections.platforms.magento.connector import MagentoConnector
from orderly.connections.platforms.shopify.connector import ShopifyConnector
from orderly.connections.platforms.square.connector import SquareConnector
from orderly.connections.platforms.woocommerce.connector import WooCommerceConnector
from orderly.connections.port import PlatformAccess, SalesChannel

_PLATFORMS: dict[str, type[SalesChannel]] = {
    connector.platform: connector
    for connector in (
        AmazonConnector,
        BigCommerceConnector,
        EtsyConnector,
        FlipkartConnector,
        MagentoConnector,
        ShopifyConnector,
        SquareConnector,
        WooCommerceConnector,
    )
}


def register_platform(connector: type[SalesChannel]) -> None:
    """Add a platform (tests add one at the port this way)."""
    _PLATFORMS[connector.platform] = connector


def platform_names() -> list[str]:
    return sorted(_PLATFORMS)


def connector_class(platform: str) -> type[SalesChannel]:
    try:
        return _PLATFORMS[platform]
    except KeyError:
        raise UnknownPlatform(
            f"no platform {platform!r}; known: {', '.join(platform_names())}", field="platform"
        ) from None


def sales_channel(platform: str, access: PlatformAccess) -> SalesChannel:
    """The connector for one connection's platform."""
    return connector_class(platform)(access)
