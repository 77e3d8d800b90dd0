import sqlalchemy as sa  # noqa: F401

from orderly.kit.db import metadata  # noqa: F401
