"""The columns of the two exports, as Microsoft's admin centers write them (in English).

Users: Microsoft Entra admin center, Users > All users > Download users (a CSV of the user
attributes listed at https://learn.microsoft.com/entra/identity/users/users-bulk-download).
The office is `physicalDeliveryOfficeName` there; Microsoft Graph and PowerShell exports name it
`officeLocation` (https://learn.microsoft.com/graph/api/resources/user).

Devices: Intune admin center, Devices > All devices > Export, the report Graph calls
DevicesWithInventory (https://learn.microsoft.com/mem/intune/fundamentals/reports-export-graph-available-reports),
whose CSV names its columns as the list shows them (Device name, Managed by, Ownership, Compliance,
OS, OS version, Last check-in, Primary user UPN, Primary user email address, Primary user display
name, Serial number, ...) or, exported through Graph, by their report names (OSVersion, LastContact,
UPN, ...); and the property names of Graph's `managedDevice`
(https://learn.microsoft.com/graph/api/resources/intune-devices-manageddevice), which scripts
that export through Graph write as headers.

Headers are compared without regard to case, spaces, hyphens, underscores and dots. A
`ColumnMapping` the user gives (field code -> header in the file) comes before these aliases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from advisor.directory.errors import Kind, MissingColumns

# Field codes: what the import reads, whatever the file calls it.
USER_FIELDS: dict[str, tuple[str, ...]] = {
    "upn": ("userPrincipalName", "User principal name", "UPN", "User name", "Username", "Sign-in name"),
    "department": ("department", "Department name"),
    "account_enabled": ("accountEnabled", "Account enabled", "Enabled"),
    # The Microsoft 365 admin center's export says the opposite: True there is a disabled account.
    "sign_in_blocked": ("Block sign in", "Block credential", "blockCredential", "Sign-in blocked"),
    "user_type": ("userType", "User type"),
    "job_title": ("jobTitle", "Job title", "Title"),
    "office": ("physicalDeliveryOfficeName", "officeLocation", "Office location", "Office"),
    "city": ("city",),
    "country": ("country", "Country or region"),
    "usage_location": ("usageLocation", "Usage location"),
}
# The guests are told by userType, else by the #EXT# in their address: userType is not needed.
USER_REQUIRED = ("upn", "department", "account_enabled")
# A needed field another one can stand in for (read the opposite way).
STANDS_IN: dict[str, str] = {"account_enabled": "sign_in_blocked"}

DEVICE_FIELDS: dict[str, tuple[str, ...]] = {
    "upn": (
        "Primary user UPN",
        "Primary user email address",
        "userPrincipalName",
        "User principal name",
        "UPN",
        "emailAddress",
        "Primary user",
    ),
    "os": ("OS", "operatingSystem", "Operating system", "Platform"),
    "os_version": ("OS version", "osVersion", "Operating system version"),
    "ownership": ("Ownership", "managedDeviceOwnerType", "ownerType", "Owner type", "Device ownership"),
    "managed_by": ("Managed by", "managementAgent", "Management agent"),
    "last_check_in": (
        "Last check-in",
        "lastSyncDateTime",
        "Last sync date time",
        "Last sync",
        "Last contact",
    ),
}
DEVICE_REQUIRED = ("upn", "os", "os_version", "ownership", "managed_by", "last_check_in")

FIELDS: dict[Kind, dict[str, tuple[str, ...]]] = {"users": USER_FIELDS, "devices": DEVICE_FIELDS}
REQUIRED: dict[Kind, tuple[str, ...]] = {"users": USER_REQUIRED, "devices": DEVICE_REQUIRED}

# Headers only the other kind of export has: a file with these and without ours is the wrong one.
MARKERS: dict[Kind, frozenset[str]] = {
    "users": frozenset({"accountenabled", "usertype", "department", "givenname", "surname", "jobtitle"}),
    "devices": frozenset(
        {
            "devicename",
            "managedby",
            "osversion",
            "lastcheckin",
            "primaryuserupn",
            "managementagent",
            "operatingsystem",
            "lastsyncdatetime",
            "serialnumber",
            "compliance",
        }
    ),
}

_IGNORED = re.compile(r"[\s\-_.]+")


def normalise(header: str) -> str:
    """A header as compared: `Last check-in`, `last_check_in` and `LastCheckIn` are one."""
    return _IGNORED.sub("", header.strip().strip('"').lstrip("\ufeff")).casefold()


Headers = Annotated[dict[str, Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)]


class ColumnMapping(BaseModel):
    """The user's answer for headers the aliases do not know, per export: field code -> the header
    in the file (kept with the assessment, so that the next import needs no answer)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    users: Headers = {}
    devices: Headers = {}

    @field_validator("users", "devices")
    @classmethod
    def _known_fields(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        known = FIELDS["users" if info.field_name == "users" else "devices"]
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"unknown field codes: {', '.join(unknown)} (known: {', '.join(known)})")
        return value

    def of(self, kind: Kind) -> dict[str, str]:
        return self.users if kind == "users" else self.devices


_VALUE = re.compile(r"^\s*(?:[\d.,:/+\-\s]*\d[\d.,:/+\-\sTZ]*|true|false|yes|no)\s*$", re.IGNORECASE)


def _known_headers() -> frozenset[str]:
    return frozenset(
        normalise(a) for fields in FIELDS.values() for aliases in fields.values() for a in aliases
    ) | (MARKERS["users"] | MARKERS["devices"])


def shown_headers(headers: Sequence[str]) -> tuple[str, ...]:
    """Headers as they may be shown and kept in an error (and so in a mapping): a first line with
    no header the exports write, holding an address, a number, a date or a yes/no, is someone's row
    (a file without a header line), and every cell of it becomes its position ("column 3"); in a
    header line, a cell holding an address does."""
    known = _known_headers()
    data = not any(normalise(h) in known for h in headers) and any(
        "@" in h or _VALUE.match(h) for h in headers
    )
    return tuple(
        f"column {i}" if data or "@" in h else h.strip()[:200] for i, h in enumerate(headers, start=1)
    )


def resolve(
    kind: Kind, headers: Sequence[str], mapping: ColumnMapping | Mapping[str, str] | None = None
) -> dict[str, int]:
    """The column index of every field of `kind` the file has (first match wins); MissingColumns
    if a needed one is missing."""
    given = mapping.of(kind) if isinstance(mapping, ColumnMapping) else dict(mapping or {})
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        positions.setdefault(normalise(header), position)
    found: dict[str, int] = {}
    for field, aliases in FIELDS[kind].items():
        candidates = ([given[field]] if field in given else []) + list(aliases)
        index = next((positions[n] for n in map(normalise, candidates) if n in positions), None)
        if index is not None:
            found[field] = index
    missing = [f for f in REQUIRED[kind] if f not in found and STANDS_IN.get(f) not in found]
    if missing:
        raise MissingColumns(kind, missing, shown_headers(headers))
    return found


def looks_like(headers: Sequence[str]) -> Kind | None:
    """Which export the headers look like, by the headers only that kind has (None: neither)."""
    names = {normalise(h) for h in headers}
    users = len(names & MARKERS["users"])
    devices = len(names & MARKERS["devices"])
    if users >= 2 and users > devices:
        return "users"
    if devices >= 2 and devices > users:
        return "devices"
    return None
