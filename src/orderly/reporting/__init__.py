"""Analytics queries behind the dashboard and the API."""
