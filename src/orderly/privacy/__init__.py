"""Buyers' personal data: kept no longer than each channel allows, erased on request."""
