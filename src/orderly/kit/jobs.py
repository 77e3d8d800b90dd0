"""What every feature's jobs share: the worker process's database."""

from __future__ import annotations

import functools
from collections.abc import Callable

from orderly.kit.db import Database


@functools.cache
def worker_database(database_url: Callable[[], str]) -> Database:
    """One pool for all the jobs of a worker process, made on the first job, never at import.
    Every task passes the same ``database_url`` (`settings.environment_database_url`)."""
    return Database(database_url(), pool_size=3, max_overflow=4)
