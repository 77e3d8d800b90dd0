"""Payment provider adapters, one module each."""
