"""Orderly: an open-source Order Management System."""

__version__ = "0.1.0"
