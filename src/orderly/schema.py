"""Every feature's tables, gathered on one MetaData for Alembic and the tests."""

from orderly.automation import models as automation_models
from orderly.catalog import models as catalog_models
from orderly.channels import models as channel_models
from orderly.connections import models as connection_models
from orderly.fulfillment import models as fulfillment_models
from orderly.inventory import models as inventory_models
from orderly.kit import idempotency_models, rate_limit_models
from orderly.kit.db import metadata
from orderly.locations import models as location_models
from orderly.notifications import models as notification_models
from orderly.orders import models as order_models
from orderly.outside import models as outside_models
from orderly.payments import models as payment_models
from orderly.returns import models as return_models
from orderly.shipping import models as shipping_models
from orderly.sourcing import models as sourcing_models
from orderly.tenancy import models as tenancy_models

__all__ = [
    "automation_models",
    "catalog_models",
    "channel_models",
    "connection_models",
    "fulfillment_models",
    "idempotency_models",
    "inventory_models",
    "location_models",
    "metadata",
    "notification_models",
    "order_models",
    "outside_models",
    "payment_models",
    "rate_limit_models",
    "return_models",
    "shipping_models",
    "sourcing_models",
    "tenancy_models",
]
