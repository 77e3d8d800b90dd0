"""Errors of locations operated by others: the API's problems, and what a provider's answer
means to a job."""

from __future__ import annotations

from orderly.kit.errors import Conflict, InvalidInput, NotFound, OrderlyError, Unauthorized


class ProviderNotFound(NotFound):
    code = "provider_not_found"


class DifferenceNotFound(NotFound):
    code = "stock_difference_not_found"


class PurchaseOrderNotFound(NotFound):
    code = "drop_ship_order_not_found"


class UnknownProviderKind(InvalidInput):
    code = "unknown_provider_kind"


class ProviderNotForLocation(InvalidInput):
    """A warehouse or a store is operated by us; a kind of provider fits some locations only."""

    code = "provider_not_for_location"


class InvalidProviderSettings(InvalidInput):
    code = "invalid_provider_settings"


class InvalidCredentials(InvalidInput):
    code = "invalid_credentials"


class InvalidConfirmation(InvalidInput):
    code = "invalid_confirmation"


class DifferenceDecided(Conflict):
    code = "stock_difference_decided"


class NotOutAtProvider(Conflict):
    code = "not_out_at_provider"


class ConfirmationLinkRefused(Unauthorized):
    """A supplier's confirmation link that is not ours (or not for this purchase order)."""

    code = "confirmation_link_invalid"
    title = "Confirmation link invalid"


class ProviderError(OrderlyError):
    """A provider call that did not do what was asked. Jobs record it on the provider."""

    code = "provider_error"
    status = 502
    title = "The provider refused or failed"


class ProviderUnavailable(ProviderError):
    """5xx, timeouts or no connection, after the retries: the work waits and is tried again."""

    code = "provider_unavailable"
    status = 503


class ProviderBusy(ProviderError):
    code = "provider_rate_limited"
    status = 503


class ProviderCredentialsRefused(ProviderError):
    code = "provider_credentials_refused"


class ProviderRefused(ProviderError):
    """The provider answered that it will not do this (another 4xx): asking again is useless."""

    code = "provider_refused"


class ProviderOutcomeUnknown(ProviderError):
    """A call sent once lost its answer: the order may or may not exist at the provider."""

    code = "provider_outcome_unknown"
    status = 503


class HostKeyRefused(ProviderError):
    """The SFTP server showed another key than the one pinned in the settings."""

    code = "provider_host_key_refused"


class WebhookRefused(Unauthorized):
    """A provider's webhook whose signature is missing or wrong: 401, nothing kept."""

    code = "webhook_signature_invalid"
    title = "Webhook signature invalid"
