"""Use cases that span orders, inventory, fulfillment and payments: cancel, release, source
backorders, expire pickups. It sits above all four, so none of them calls back up."""
