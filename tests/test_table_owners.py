"""Only the feature whose `models.py` declares a table writes it (docs/architecture.md, "Layers,
and who writes which table"): every INSERT, UPDATE and DELETE in the source, in SQL text or
SQLAlchemy Core, is made by a module of the table's own feature."""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "orderly"

_TABLE = re.compile(r"sa\.Table\(\s*\"(\w+)\"")
_SQL_WRITE = re.compile(r"\b(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE)\s+(\w+)")
_CORE_WRITE = re.compile(
    r"(?:\bsa\.|(?<![\w.]))(?:insert|update|delete)\(\s*(\w+)|\b(\w+)\.(?:insert|update|delete)\(\)"
)
_ALIAS = re.compile(r"^(\w+)\s*=\s*(\w+)\s*$", re.MULTILINE)

# Writes across features that are the design, as (module, table), each with its reason.
ACCEPTED: set[tuple[str, str]] = set()


def _feature(path: Path) -> str:
    return path.relative_to(SOURCE).parts[0].removesuffix(".py")


def _owners() -> dict[str, str]:
    owners = {}
    for models in SOURCE.rglob("*models.py"):
        for table in _TABLE.findall(models.read_text()):
            owners[table] = _feature(models)
    return owners


def _writes() -> list[tuple[str, str, str]]:
    """(module, its feature, table written) for every write found in the source."""
    owners = _owners()
    found = []
    for module in sorted(SOURCE.rglob("*.py")):
        if "migrations" in module.parts:
            continue
        text = module.read_text()
        aliases = {name: table for name, table in _ALIAS.findall(text) if table in owners}
        names = set(_SQL_WRITE.findall(text))
        for core in _CORE_WRITE.findall(text):
            names.update(n for n in core if n)
        for name in names:
            table = aliases.get(name, name)
            if table in owners:
                found.append((str(module.relative_to(SOURCE)), _feature(module), table))
    return found


def test_the_source_declares_and_writes_tables() -> None:
    """The check finds what it looks for: tables of every feature, and writes of them."""
    owners = _owners()
    assert {"orders", "stock_levels", "idempotency_keys", "fulfillment_orders"} <= set(owners)
    written = {table for _, _, table in _writes()}
    assert {"orders", "stock_levels", "stock_ledger", "order_events"} <= written


def test_only_the_owning_feature_writes_a_table() -> None:
    owners = _owners()
    strangers = sorted(
        (module, table, owners[table])
        for module, feature, table in _writes()
        if feature != owners[table] and (module, table) not in ACCEPTED
    )
    assert strangers == []
