"""Returns (RMAs), receiving and inspection, refunds, exchanges and store credit."""
