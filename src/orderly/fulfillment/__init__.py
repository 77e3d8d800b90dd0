"""Fulfillment orders per location: accept, pick, pack, ship; store pickup."""
