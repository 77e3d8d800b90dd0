"""A small JSON schema checker that answers as MyDHL API's request validation does: one message
per problem, naming the JSON path (`#/content/packages/0/weight: expected type: Number, ...`)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any


def obj(props: dict[str, Any], required: tuple[str, ...] = (), *, extra: bool = False) -> Any:
    return {"type": "object", "props": props, "required": required, "extra": extra}


def text(
    lo: int | None = None, hi: int | None = None, *, enum: Any = None, pattern: str = ""
) -> Any:
    return {"type": "string", "min": lo, "max": hi, "enum": enum, "pattern": pattern}


def num(lo: str | None = None, hi: str | None = None, step: str | None = None) -> Any:
    to = Decimal
    return {
        "type": "number",
        "min": None if lo is None else to(lo),
        "max": None if hi is None else to(hi),
        "step": None if step is None else to(step),
    }


def integer(lo: int, hi: int) -> Any:
    return {"type": "integer", "min": Decimal(lo), "max": Decimal(hi), "step": None}


def array(items: Any, lo: int | None = None, hi: int | None = None) -> Any:
    return {"type": "array", "items": items, "min": lo, "max": hi}


BOOL: Any = {"type": "boolean"}
ANY: Any = {"type": "any"}


TYPE_NAMES = {
    "object": "JSONObject",
    "array": "JSONArray",
    "string": "String",
    "number": "Number",
    "integer": "Integer",
    "boolean": "Boolean",
}


def _found(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, Decimal):
        return "BigDecimal"
    names: dict[type, str] = {str: "String", dict: "JSONObject", list: "JSONArray"}
    return names.get(type(value), "Object")


def _is(value: Any, kind: str) -> bool:
    if kind == "number":
        return isinstance(value, int | Decimal) and not isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            return False
        return Decimal(value) == Decimal(value).to_integral_value()
    kinds: dict[str, type] = {"object": dict, "array": list, "string": str, "boolean": bool}
    return isinstance(value, kinds[kind])


def schema_errors(value: Any, schema: Any, path: str = "") -> list[str]:
    """What DHL's schema validation says of `value`, one message per problem."""
    kind, at = schema["type"], f"#{path}"
    if kind == "any":
        return []
    if not _is(value, kind):
        return [f"{at}: expected type: {TYPE_NAMES[kind]}, found: {_found(value)}"]
    errors: list[str] = []
    if kind == "object":
        errors += [
            f"{at}: required key [{k}] not found" for k in schema["required"] if k not in value
        ]
        for key, item in value.items():
            if key in schema["props"]:
                errors += schema_errors(item, schema["props"][key], f"{path}/{key}")
            elif not schema["extra"]:
                errors.append(f"{at}: extraneous key [{key}] is not permitted")
    elif kind == "array":
        if schema["min"] is not None and len(value) < schema["min"]:
            errors.append(
                f"{at}: expected minimum item count: {schema['min']}, found: {len(value)}"
            )
        if schema["max"] is not None and len(value) > schema["max"]:
            errors.append(
                f"{at}: expected maximum item count: {schema['max']}, found: {len(value)}"
            )
        for index, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{path}/{index}")
    elif kind == "string":
        if schema["min"] is not None and len(value) < schema["min"]:
            errors.append(f"{at}: expected minLength: {schema['min']}, actual: {len(value)}")
        if schema["max"] is not None and len(value) > schema["max"]:
            errors.append(f"{at}: expected maxLength: {schema['max']}, actual: {len(value)}")
        if schema["enum"] is not None and value not in schema["enum"]:
            errors.append(f"{at}: {value} is not a valid enum value")
        if schema["pattern"] and not re.search(schema["pattern"], value):
            errors.append(f"{at}: string [{value}] does not match pattern {schema['pattern']}")
    elif kind in ("number", "integer"):
        amount = Decimal(value)
        if schema["min"] is not None and amount < schema["min"]:
            errors.append(f"{at}: {value} is not greater or equal to {schema['min']}")
        if schema["max"] is not None and amount > schema["max"]:
            errors.append(f"{at}: {value} is not less or equal to {schema['max']}")
        if schema["step"] is not None and amount % schema["step"]:
            errors.append(f"{at}: {value} is not a multiple of {schema['step']}")
    return errors
