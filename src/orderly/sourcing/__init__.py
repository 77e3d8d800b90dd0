"""The routing engine: where each order ships from, with an explanation."""
