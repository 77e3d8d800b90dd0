"""Errors of connections: the API's problems, and what a platform's answer means to a job."""

from __future__ import annotations

from orderly.kit.errors import Conflict, InvalidInput, NotFound, OrderlyError, Unauthorized


class ConnectionNotFound(NotFound):
    code = "connection_not_found"


class EventNotFound(NotFound):
    code = "connection_event_not_found"


class ChannelAlreadyConnected(Conflict):
    """A channel has one connection, so that a platform's ids never collide within it."""

    code = "channel_already_connected"


class UnknownPlatform(InvalidInput):
    code = "unknown_platform"


class InvalidCredentials(InvalidInput):
    code = "invalid_credentials"


class InvalidConnectionSettings(InvalidInput):
    code = "invalid_connection_settings"


class WebhookRefused(Unauthorized):
    """A webhook whose signature is missing or wrong: answered 401, nothing stored."""

    code = "webhook_signature_invalid"
    title = "Webhook signature invalid"


class PlatformError(OrderlyError):
    """A platform call that did not do what was asked. Jobs record it on the connection."""

    code = "platform_error"
    status = 502
    title = "The platform refused or failed"


class PlatformUnavailable(PlatformError):
    """5xx, timeouts or no connection, after the retries: the work waits and is tried again."""

    code = "platform_unavailable"
    status = 503


class PlatformBusy(PlatformError):
    """Rate limited for longer than a job should wait: tried again after `retry_after`."""

    code = "platform_rate_limited"
    status = 503


class CredentialsRefused(PlatformError):
    """401 or 403: the credentials are wrong, revoked or lack a scope."""

    code = "platform_credentials_refused"


class PlatformRefused(PlatformError):
    """Another 4xx, or a platform's own error in a 200 (GraphQL userErrors): our request or the
    platform's data is wrong, and the same request would fail again."""

    code = "platform_refused"
