"""Links to a return label that a customer opens from an e-mail: signed, with no login.

The link names the organization and the return, signed with the installation's secret key
(`kit.secrets`), and is good for `LINK_VALID_FOR`. Anyone holding it can print the label, as with
the carrier's own label links; it gives nothing else: no order, no address, no other return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from orderly.returns.errors import LookupRefused

LINK_VALID_FOR = timedelta(days=60)
_SALT = "orderly.return-label"


@dataclass(frozen=True, slots=True)
class LabelLink:
    org_id: int
    return_id: int


def label_path(secret: str, org_id: int, return_id: int) -> str:
    token = URLSafeTimedSerializer(secret, salt=_SALT).dumps([org_id, return_id])
    return f"/returns/label/{token}"


def read_label_link(secret: str, token: str) -> LabelLink:
    """The return a link points at; `LookupRefused` if it was not signed here or has expired."""
    serializer = URLSafeTimedSerializer(secret, salt=_SALT)
    try:
        org_id, return_id = serializer.loads(token, max_age=int(LINK_VALID_FOR.total_seconds()))
    except SignatureExpired:
        raise LookupRefused(
            "This label link has expired. Start your return again to print the label.", status=410
        ) from None
    except (BadSignature, TypeError, ValueError):
        raise LookupRefused("This label link is not valid.", status=404) from None
    if not isinstance(org_id, int) or not isinstance(return_id, int):
        raise LookupRefused("This label link is not valid.", status=404)
    return LabelLink(org_id, return_id)
