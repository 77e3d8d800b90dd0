"""The store counter: sales paid and handed over at once, and their receipts."""
