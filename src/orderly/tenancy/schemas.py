from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from orderly.tenancy.domain import Role

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrandIn(Closed):
    code: Code
    name: Name


class RegionIn(Closed):
    code: Code
    name: Name
    brand: Code


class LocationGroupIn(Closed):
    code: Code
    name: Name
    region: Code


class NodeOut(BaseModel):
    id: int
    code: str
    name: str
    created_at: datetime


class GroupNode(BaseModel):
    code: str
    name: str


class RegionNode(BaseModel):
    code: str
    name: str
    location_groups: list[GroupNode]


class BrandNode(BaseModel):
    code: str
    name: str
    regions: list[RegionNode]


class ApiKeyIn(Closed):
    name: Name
    role: Role


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


class NewApiKeyOut(ApiKeyOut):
    key: str
