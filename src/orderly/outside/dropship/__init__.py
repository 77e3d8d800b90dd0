"""Drop-ship from suppliers: a fulfillment order at a supplier becomes a purchase order the
supplier ships to the customer, and confirms with its tracking."""
