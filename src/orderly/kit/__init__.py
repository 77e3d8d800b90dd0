"""Shared pieces with no business rules: database, errors, money, pagination, auth, clock."""
