from tests.shipping.scripted_carrier import scripted

__all__ = ["scripted"]
