"""Generated exports of an organisation under way: an Entra users CSV and an Intune devices CSV
for an assessment's groups, seeded and messy on purpose (departments in several spellings, names
with å, ä and ö, disabled accounts, guests, devices without a user, Linux, stale and
Exchange-only devices), with what a correct measure must find. Never real people."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from advisor.model.facts import Assessment

FIRST = ["Åsa", "Björn", "Märta", "Jörgen", "Chloé", "Liam", "Noor", "Sven-Erik", "Zoë", "Ola", "Ängla"]
LAST = ["Öberg", "Lindqvist", "Nguyen", "O'Brien", "Åkesson", "García", "Smith", "Håkansson", "Ek"]
USER_HEADERS = [
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "accountEnabled",
    "userType",
    "officeLocation",
    "city",
    "country",
    "usageLocation",
]
DEVICE_HEADERS = [
    "Device name",
    "Managed by",
    "Ownership",
    "Compliance",
    "OS",
    "OS version",
    "Last check-in",
    "Primary user UPN",
    "Primary user display name",
    "Serial number",
]
OS = {
    "windows": ("Windows", "10.0.22631.4460"),
    "macos": ("macOS", "14.6.1"),
    "ios": ("iOS/iPadOS", "17.6.1"),
    "android": ("Android", "14"),
}


@dataclass
class Exports:
    users_csv: bytes
    devices_csv: bytes
    personal: set[str] = field(default_factory=set)  # every UPN, name and device name written
    enrolled: Counter[str] = field(default_factory=Counter)  # group id -> devices that must count
    devices_of: Counter[str] = field(default_factory=Counter)  # group id -> its users' devices


def generate(
    assessment: Assessment,
    today: date,
    *,
    seed: int = 1,
    share: dict[str, float] | None = None,
    scale: float = 1.0,
    encoding: str = "utf-8",
) -> Exports:
    """Users for each group (its users × scale, at its first site), one device per planned device
    (× scale) on its platforms, of which `share[group id]` (default 0.5) are enrolled: managed by
    Intune and checked in recently; the rest are Exchange-only, stale or never checked in. Besides:
    disabled accounts, guests, users of a department no group has, devices without a user, Linux."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    share = share or {}
    users_out, devices_out = io.StringIO(), io.StringIO()
    users, devices = (
        csv.writer(users_out, lineterminator="\r\n"),
        csv.writer(devices_out, lineterminator="\r\n"),
    )
    users.writerow(USER_HEADERS)
    devices.writerow(DEVICE_HEADERS)
    made = Exports(b"", b"")
    serial = 0
    recent = datetime.combine(today, time(7, 45)) - timedelta(days=1)

    def person(department: str, site: str, *, enabled: bool = True, guest: bool = False) -> tuple[str, str]:
        nonlocal serial
        serial += 1
        first, last = rng.choice(FIRST), rng.choice(LAST)
        upn = f"{first}.{last}.{serial}@contoso.example".replace("'", "")
        if guest:
            upn = upn.replace("@", "_partner.example#EXT#@")
        name = f"{first} {last}"
        spelled = rng.choice([department, department.upper(), f" {department.lower()} ", department])
        users.writerow(
            [
                upn,
                name,
                first,
                last,
                rng.choice(["Handläggare", "Engineer", ""]),
                spelled,
                "False" if not enabled else rng.choice(["True", "TRUE", "true"]),
                "Guest" if guest else "Member",
                site,
                site,
                "Sverige",
                "SE",
            ]
        )
        made.personal.update({upn, name})
        return upn, name

    def device(upn: str, name: str, platform: str | None, state: str) -> None:
        nonlocal serial
        serial += 1
        os, version = OS[platform] if platform else ("Linux", "6.8")
        device_name = f"{name.split()[0].upper()}-{serial:06d}"
        managed = {"enrolled": rng.choice(["Intune", "Co-managed"]), "exchange": "Exchange ActiveSync"}.get(
            state, "Intune"
        )
        seen = {
            "enrolled": recent,
            "stale": recent - timedelta(days=45),
        }.get(state, recent)
        check_in = "" if state == "never" else seen.strftime("%Y-%m-%d %H:%M:%S.0000000")
        devices.writerow(
            [
                device_name,
                managed,
                rng.choice(["Corporate", "Personal"]),
                "Compliant",
                os,
                version,
                check_in,
                upn,
                name,
                f"SN{serial:08d}",
            ]
        )
        made.personal.add(device_name)

    for group in assessment.groups:
        site = group.locations[0] if group.locations else "Stockholm"
        people = [
            person(group.department or group.name, site) for _ in range(max(1, round(group.users * scale)))
        ]
        if group.executives:
            continue  # executives are found by job title; these generated users have none
        count = max(1, round((group.devices or group.users) * scale))
        enrolled = round(count * share.get(group.id, 0.5))
        for i in range(count):
            upn, name = people[i % len(people)]
            state = "enrolled" if i < enrolled else rng.choice(["exchange", "stale", "never"])
            device(upn, name, group.platforms[i % len(group.platforms)], state)
            made.devices_of[group.id] += 1
        made.enrolled[group.id] += enrolled
    for _ in range(7):
        upn, name = person("Sales and marketing", "Redmond", enabled=False)
        device(upn, name, "ios", "enrolled")
    for _ in range(4):
        person("Sales and marketing", "Redmond", guest=True)
    for _ in range(9):
        person("Kantin", "Umeå")
    for _ in range(5):
        device("", "Kiosk", "android", "enrolled")
    upn, name = person("IT", "Redmond")
    device(upn, name, None, "enrolled")  # a Linux laptop: no plan enrolls it
    made.users_csv = users_out.getvalue().encode(encoding)
    made.devices_csv = devices_out.getvalue().encode(encoding)
    return made
