"""Path and query parameter types shared by every router."""

from typing import Annotated

from fastapi import Path

# Ids are PostgreSQL bigints: anything outside is refused at the edge, never by the database.
ResourceId = Annotated[int, Path(ge=1, le=2**63 - 1)]
