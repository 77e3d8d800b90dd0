"""The payment provider port and its providers."""
