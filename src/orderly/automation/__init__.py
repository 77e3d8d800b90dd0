"""Routine that runs by itself: restock, fraud screening, SLA watch."""
