from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orderly.kit.outbound import MOST_NETWORKS
from orderly.notifications.domain import DeliveryStatus, NotificationKind, NotificationStatus


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


TemplateText = Annotated[str, StringConstraints(max_length=100_000)]
EventType = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$")
]


class TemplateIn(Closed):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    body_text: TemplateText
    body_html: TemplateText
    enabled: bool = True


class TemplateOut(BaseModel):
    kind: NotificationKind
    channel: str | None = Field(description="The sales channel; null for every channel")
    source: Literal["channel", "organization", "default"] = Field(
        description="Where this template comes from: the channel's own, the organization's "
        "default, or the built-in one"
    )
    enabled: bool
    subject: str
    body_text: str
    body_html: str


class TemplateDraft(Closed):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    body_text: TemplateText
    body_html: TemplateText


class PreviewIn(Closed):
    order_id: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="A real order; the sample order if omitted"
    )
    channel: Annotated[str, StringConstraints(max_length=100)] | None = None
    event: dict[str, Any] | None = Field(
        default=None, description="The event data to render with, instead of the order's own"
    )
    template: TemplateDraft | None = Field(
        default=None, description="An unsaved template to preview; the saved one if omitted"
    )


class PreviewOut(BaseModel):
    subject: str
    body_text: str
    body_html: str


class NotificationOut(BaseModel):
    id: int
    order_id: int
    event_id: int
    kind: NotificationKind
    channel: str
    recipient: str | None
    subject: str | None
    status: NotificationStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    sent_at: datetime | None
    created_at: datetime


class NotificationDetail(NotificationOut):
    body_text: str | None
    body_html: str | None


WebhookUrl = Annotated[str, StringConstraints(min_length=8, max_length=2000)]
Network = Annotated[str, StringConstraints(min_length=1, max_length=50)]
NETWORKS_DESCRIPTION = (
    "Private networks (CIDR, e.g. 10.20.0.0/16) this URL may reach, such as an ERP on the "
    "premises; only owners and admins may set them"
)


class WebhookIn(Closed):
    url: WebhookUrl
    event_types: list[EventType] = Field(
        min_length=1,
        max_length=100,
        description='Event types ("order.shipped"), families ("order.*") or everything ("*")',
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    active: bool = True
    allowed_networks: list[Network] = Field(
        default_factory=list, max_length=MOST_NETWORKS, description=NETWORKS_DESCRIPTION
    )


class WebhookPatch(Closed):
    url: WebhookUrl | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=100)
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    active: bool | None = None
    allowed_networks: list[Network] | None = Field(
        default=None, max_length=MOST_NETWORKS, description=NETWORKS_DESCRIPTION
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    description: str | None
    active: bool
    allowed_networks: list[str] = Field(description=NETWORKS_DESCRIPTION)
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="The signing secret, shown in this response only (an idempotent replay "
        "is 409 `idempotency_secret_not_replayable`). Keep it: deliveries are signed with it."
    )


class DeliveryAttempt(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None = Field(
        description="The reason of a failure: the status's standard phrase, or why no answer "
        "came; never the receiver's own answer"
    )
    duration_ms: int


class WebhookDeliveryOut(BaseModel):
    id: int
    subscription_id: int
    event_id: int
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="When the next attempt is due")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    log: list[DeliveryAttempt]
    payload: dict[str, Any]
