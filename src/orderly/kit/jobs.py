"""What every feature's jobs share: the worker process's database."""

from __future__ import annotations

import functools

from orderly.kit.db import Database
from orderly.kit.embedded import database_url
from orderly.settings import Settings


@functools.cache
def worker_database() -> Database:
    """One pool for all the jobs of a worker process, made on the first job, never at import."""
    return Database(database_url(Settings()), pool_size=3, max_overflow=4)
