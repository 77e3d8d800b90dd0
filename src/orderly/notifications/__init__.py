"""Customer messages, e-mail, and outbound webhooks."""
