from __future__ import annotations

from orderly.kit.errors import Conflict, InvalidInput, NotFound, OrderlyError


class InvalidTemplate(InvalidInput):
    code = "invalid_template"


class RendererUnavailable(OrderlyError):
    code = "template_renderer_unavailable"
    status = 503
    title = "Service unavailable"
    retry_after = 5


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
