"""Opening an organization: the tenant and what every feature gives it to start with."""
