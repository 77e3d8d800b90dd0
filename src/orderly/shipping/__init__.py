"""Carriers, rates, labels and tracking."""
