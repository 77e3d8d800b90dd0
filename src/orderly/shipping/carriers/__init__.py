"""Carrier connectors behind the `Carrier` port, chosen by kind from the registry."""
