"""The worst assessment the contract allows, built from its JSON Schema rather than from today's
planner: most groups, every platform and requirement, the most and longest sites and names, the
largest counts. A field added to the schema later is covered without touching this file.

Enumerations and booleans take every value across the groups (group i takes value i mod n), so
the rules' every path is taken somewhere in the same assessment.
"""

from __future__ import annotations

import json
from typing import Any

from advisor.model.facts import Assessment

SCHEMA = Assessment.model_json_schema()
# A two-byte character: the most bytes per character the names may carry cheaply.
CHARACTER = "Å"


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return dict(SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in schema:  # optional fields: the non-null branch
        return _resolve(next(s for s in schema["anyOf"] if s.get("type") != "null"))
    return schema


def _text(length: int, tag: str) -> str:
    return (tag + CHARACTER * length)[:length]


def value(schema: dict[str, Any], index: int, tag: str, *, sites: int | None, text: int | None) -> Any:
    schema = _resolve(schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][index % len(schema["enum"])]
    kind = schema.get("type")
    if kind == "boolean":
        return index % 2 == 0
    if kind == "integer":
        return schema.get("maximum", 1_000_000)
    if kind == "string":
        pattern = schema.get("pattern", "")
        if pattern.startswith("^[a-z0-9-]"):  # an id: unique, at its longest
            return f"{tag}-{index}".replace("_", "-").lower().ljust(64, "x")[:64]
        if pattern.startswith("^\\d{4}-") and "3[01]" in pattern:  # a day: one a month of 2027
            return f"2027-{index % 12 + 1:02d}-28"
        if pattern.startswith("^\\d{4}-"):  # a month
            return "2027-01"
        if pattern.startswith("^(0[1-9]"):  # a month to keep free: eleven months (all twelve are
            # refused), then single months of 2027 and 2028
            return (
                f"{index + 1:02d}"
                if index < 11
                else f"{2027 + (index - 11) // 12}-{(index - 11) % 12 + 1:02d}"
            )
        if "[A-Za-z]{2}" in pattern:  # a country
            return "SE"
        length = min(schema.get("maxLength", 200), text or 10**9)
        return _text(length, f"{tag}{index}-")
    if kind == "array":
        items = _resolve(schema["items"])
        if "enum" in items:
            return list(items["enum"])
        count = min(schema.get("maxItems", 10), sites if sites is not None else 10**9)
        return [value(items, i, f"{tag}{i}", sites=sites, text=text) for i in range(count)]
    if kind == "object" and "properties" not in schema:  # a number for each name: see _agreeing
        return {}
    if kind == "object":
        return {
            name: value(field, index, name[:4], sites=sites, text=text)
            for name, field in schema["properties"].items()
        }
    raise ValueError(f"no worst value for schema {schema}")


def worst_assessment(
    *,
    capacity: int | None,
    split_by: str,
    groups: int | None = None,
    sites: int | None = None,
    text: int | None = None,
    users: int | None = None,
    calendar: bool = True,
) -> dict[str, Any]:
    """The worst assessment; `groups`, `sites`, `text` and `users` only ever shrink it (to fit a
    request, or a plan under the ceiling on months). Without `calendar`, no month is quiet or
    avoided: the most phases a plan can start, which is the worst for the plan's size (quiet months
    only ever leave fewer months to start phases in)."""
    group_schema = SCHEMA["properties"]["groups"]
    count = min(group_schema["maxItems"], groups or 10**9)
    organisation = value(SCHEMA["properties"]["organisation"], 0, "org", sites=sites, text=text)
    organisation.update(support_capacity=capacity, split_by=split_by, language="en")
    if not calendar:
        organisation["quiet_months"] = []
    out = []
    for i in range(count):
        group = value(group_schema["items"], i, "g", sites=sites, text=text)
        if users is not None:
            group.update(users=min(group["users"], users), devices=min(group["devices"], users))
        if not calendar:
            group["avoid_months"] = []
        out.append(_agreeing(group))
    # Everything else the file may hold (the gates' decisions, the edited messages), at its longest.
    rest = {
        name: value(field, 0, name[:4], sites=sites, text=text)
        for name, field in SCHEMA["properties"].items()
        if name not in ("version", "organisation", "groups")
    }
    return {"version": 1, "organisation": organisation, "groups": out, **rest}


def _agreeing(group: dict[str, Any]) -> dict[str, Any]:
    """The divisions of the group's devices and users, which JSON Schema cannot tie to its other
    answers: every platform and every site, adding up (an uneven remainder on the first)."""
    for field, names, total in (
        ("devices_by_platform", group["platforms"], group["devices"]),
        ("users_by_location", group["locations"], group["users"]),
    ):
        if field in group:
            group[field] = _divided(total, names) if names else None
    return group


def _divided(total: int, names: list[str]) -> dict[str, int]:
    share, rest = divmod(total, len(names))
    return {name: share + (rest if i == 0 else 0) for i, name in enumerate(names)}


def fitted(limit_bytes: int, **options: Any) -> dict[str, Any]:
    """The worst assessment whose JSON fits `limit_bytes`: the most groups, then sites, then text."""
    for sites in (200, 50, 10, 3, 1, 0):
        for text in (200, 50, 20, 8):
            candidate = worst_assessment(sites=sites, text=text, **options)
            if len(json.dumps(candidate).encode()) <= limit_bytes:
                return candidate
    raise ValueError(f"even the smallest worst case does not fit {limit_bytes} bytes")


def split_values() -> list[str]:
    return list(SCHEMA["$defs"]["Organisation"]["properties"]["split_by"]["enum"])


def smallest_capacity() -> int:
    capacity = _resolve(SCHEMA["$defs"]["Organisation"]["properties"]["support_capacity"])
    return int(capacity["minimum"])
