"""ShipBob, a 3PL with a public API (developer.shipbob.com)."""
