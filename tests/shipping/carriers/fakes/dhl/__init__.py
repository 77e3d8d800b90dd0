"""A fake DHL Express MyDHL API, built from DHL's published OpenAPI specification (2.12.0):
Basic auth and `x-version` on every call, request bodies checked against the specification's
schemas (422), DHL's business checks (400), shipments kept for tracking and lookup by reference.
What the specification does not show (401, 429 and 503 bodies, business wording, the 70 kg
piece limit) is made to look like it and marked so where it is made."""

from tests.shipping.carriers.fakes.dhl.app import BASE_PATH, FakeDhlExpress
from tests.shipping.carriers.fakes.dhl.network import Place

__all__ = ["BASE_PATH", "FakeDhlExpress", "Place"]
