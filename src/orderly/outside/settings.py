"""What every kind of provider's settings share: our SKU codes and the provider's."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orderly.outside.domain import SkuMap

SkuCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ProviderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku_map: dict[SkuCode, SkuCode] = Field(
        default_factory=dict,
        max_length=10_000,
        description="Our SKU code -> the provider's (a supplier's part number) where they differ",
    )

    def skus(self) -> SkuMap:
        return SkuMap(self.sku_map)
