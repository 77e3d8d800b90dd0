from __future__ import annotations

from orderly.kit.errors import Conflict, InvalidInput, NotFound


class InvalidTemplate(InvalidInput):
    code = "invalid_template"


class UnknownNotificationKind(NotFound):
    code = "notification_kind_not_found"


class NotificationNotFound(NotFound):
    code = "notification_not_found"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


class WebhookDeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"


class InvalidWebhookUrl(InvalidInput):
    code = "invalid_webhook_url"


class DeliveryPending(Conflict):
    code = "webhook_delivery_pending"


class MessageNotRendered(Conflict):
    code = "notification_not_rendered"
