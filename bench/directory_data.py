"""Generated exports for the tests and the benchmark: a made-up organisation (no real person),
realistic and messy on purpose, the same for one seed, written row by row (100,000 users never
exist as Python objects at once).

Messy as real exports are: departments spelled with other case and stray spaces, users without a
department, disabled accounts, guests (#EXT#), several sites per department, devices without a
primary user or whose user is not in the users file, Linux, ChromeOS and OS strings nobody knows,
iOS, Android and Windows versions Intune no longer supports, personal and corporate devices.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO

FIRST = (
    "Anna", "Åsa", "Björn", "Örjan", "Märta", "Lars", "Karin", "Jönsson", "Elin", "Maja", "Oskar",
    "Nils", "Ingrid", "Sofia", "Olivia", "James", "Emily", "Oliver", "Charlotte", "George", "Amelia",
    "Harry", "Ella", "Jack", "Grace", "Ali", "Fatima", "Mohammed", "Aino", "Juha", "Ä-Li",
)  # fmt: skip
LAST = (
    "Lindqvist", "Åberg", "Öberg", "Söderström", "Näslund", "Ekström", "Håkansson", "Smith", "Jones",
    "Taylor", "Brown", "Williams", "Wilson", "Evans", "Nyström", "Bäckström", "Sjögren", "O'Neill",
    "Karlsson", "Virtanen", "Lindgren", "Hussein", "Andersson",
)  # fmt: skip
# Department: its spellings (the first the usual one), its sites, its share of the users.
DEPARTMENTS: tuple[tuple[tuple[str, ...], tuple[str, ...], int], ...] = (
    (("Sales", "sales ", "SALES", " Sales"), ("Stockholm", "Göteborg", "Malmö", "London"), 22),
    (("Försäljning", "försäljning"), ("Umeå", "Luleå"), 8),
    (("IT", "it", "IT "), ("Stockholm", "Umeå"), 6),
    (("Human Resources", "human resources"), ("Stockholm",), 4),
    (("Ekonomi",), ("Stockholm", "Göteborg"), 5),
    (("Produktion", "produktion", "PRODUKTION"), ("Sandviken", "Borlänge", "Luleå", "Kiruna", "Gävle"), 30),
    (("Customer Service",), ("Manchester", "Dublin", "Malmö"), 12),
    (("Forskning & utveckling", "Forskning & Utveckling"), ("Lund",), 7),
    (("Ledning",), ("Stockholm",), 1),
)
TITLES = ("Engineer", "Säljare", "Operatör", "Handläggare", "Analyst", "Consultant", "Tekniker", "Manager")
EXECUTIVE_TITLES = ("CEO", "VD", "Chief Financial Officer", "Ekonomidirektör", "Director of Sales", "CIO")
USER_HEADER = (
    "userPrincipalName", "displayName", "surname", "mail", "givenName", "objectId", "userType",
    "jobTitle", "department", "accountEnabled", "usageLocation", "streetAddress", "state", "country",
    "physicalDeliveryOfficeName", "city", "postalCode", "telephoneNumber", "mobile",
)  # fmt: skip
DEVICE_HEADER = (
    "Device name", "Managed by", "Ownership", "Compliance", "OS", "OS version", "Last check-in",
    "Primary user UPN", "Primary user email address", "Primary user display name", "Serial number",
)  # fmt: skip
# OS, versions (some no longer supported), share of the devices.
SYSTEMS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("Windows", ("10.0.26100.2314", "10.0.22631.4460", "10.0.19045.5131", "10.0.19044.3086", "10.0.17763.1"), 52),
    ("iOS/iPadOS", ("18.1.1", "17.6.1", "16.7.10", "15.8.3"), 20),
    ("Android", ("15", "14", "13", "9", "8.1.0"), 14),
    ("macOS", ("15.1.1", "14.7.1", "13.7.1"), 8),
    ("Linux", ("Ubuntu 22.04.5 LTS",), 2),
    ("ChromeOS", ("129.0.6668.110",), 1),
    ("Tizen", ("7.0",), 1),
    ("", ("",), 1),
)  # fmt: skip
DOMAIN = "contoso.example"


def upn(index: int) -> str:
    """User `index`'s address: the same in the users and the devices file for one organisation."""
    first, last = FIRST[index * 7 % len(FIRST)], LAST[index * 13 % len(LAST)]
    return f"{_ascii(first)}.{_ascii(last)}.{index}@{DOMAIN}"


def display_name(index: int) -> str:
    return f"{FIRST[index * 7 % len(FIRST)]} {LAST[index * 13 % len(LAST)]}"


def _ascii(name: str) -> str:
    return name.lower().translate(str.maketrans("åäöé' ", "aaoe--"))


@dataclass
class Truth:
    """What the generator wrote, to check the import against (counts only)."""

    rows: int = 0
    disabled: int = 0
    guests: int = 0
    unassigned: int = 0
    executives: int = 0
    members: Counter[str] = field(default_factory=Counter)  # usual spelling -> enabled members
    devices: int = 0
    without_user: int = 0
    unknown_user: int = 0


def write_users(
    out: BinaryIO, n: int, seed: int, *, encoding: str = "utf-8", delimiter: str = ",", messy: bool = True
) -> Truth:
    """`n` users, as Entra ID's Download users writes them (`encoding` "utf-16" with a tab as
    Excel's Unicode text saves it; "cp1252" with a semicolon as Swedish Excel's CSV)."""
    rng = random.Random(seed)
    text = io.TextIOWrapper(out, encoding=encoding, newline="", write_through=False)
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(USER_HEADER)
    truth = Truth()
    weights = [share for _, _, share in DEPARTMENTS]
    for index in range(n):
        spellings, sites, _ = rng.choices(DEPARTMENTS, weights)[0]
        department = rng.choice(spellings) if messy and rng.random() < 0.3 else spellings[0]
        if messy and rng.random() < 0.03:
            department = rng.choice(("", "  "))
        guest = messy and rng.random() < 0.02
        enabled = not (messy and rng.random() < 0.05)
        title = rng.choice(EXECUTIVE_TITLES) if rng.random() < 0.005 else rng.choice(TITLES)
        site = rng.choice(sites)
        office, city = (site, site) if rng.random() < 0.8 else ("", site if rng.random() < 0.5 else "")
        address = upn(index)
        if guest:
            address = f"{address.replace('@', '_')}#EXT#@contoso.onmicrosoft.com"
        writer.writerow(
            (
                address, display_name(index), LAST[index * 13 % len(LAST)], address if not guest else "",
                FIRST[index * 7 % len(FIRST)], f"{rng.getrandbits(128):032x}", "Guest" if guest else "Member",
                title, department, "True" if enabled else "False", "SE", f"Storgatan {rng.randint(1, 99)}",
                "", "Sweden", office, city, f"{rng.randint(10000, 99999)}", "", f"+46 70 {index:07d}",
            )
        )  # fmt: skip
        truth.rows += 1
        if not enabled:
            truth.disabled += 1
        elif guest:
            truth.guests += 1
        else:
            if not department.strip():
                truth.unassigned += 1
            else:
                truth.members[spellings[0]] += 1
            truth.executives += title in EXECUTIVE_TITLES
    text.flush()
    text.detach()
    return truth


def write_devices(
    out: BinaryIO,
    n: int,
    users: int,
    seed: int,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    checked_in: str = "2026-11-20 08:12:33.0000000",
) -> Truth:
    """`n` devices as Intune's All devices > Export writes them, their users drawn from the first
    `users` of the users file (some from beyond it, some with none)."""
    rng = random.Random(seed + 1)
    text = io.TextIOWrapper(out, encoding=encoding, newline="", write_through=False)
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(DEVICE_HEADER)
    truth = Truth()
    weights = [share for *_, share in SYSTEMS]
    for _ in range(n):
        os, versions, _ = rng.choices(SYSTEMS, weights)[0]
        roll = rng.random()
        if roll < 0.03:
            index, address, name = None, "", ""
            truth.without_user += 1
        else:
            index = rng.randrange(users + max(1, users // 50)) if roll < 0.05 else rng.randrange(users)
            address, name = upn(index), display_name(index)
            truth.unknown_user += index >= users
        personal = os in ("iOS/iPadOS", "Android") and rng.random() < 0.4
        owner = "Personal" if personal else "Corporate"
        managed = rng.choice(("Intune", "Intune", "Intune", "Co-managed", "ConfigMgr"))
        device = (
            f"{name}s {os or 'enhet'}" if name and rng.random() < 0.5 else f"DEV-{rng.getrandbits(32):08X}"
        )
        writer.writerow(
            (
                device, managed, owner, rng.choice(("Compliant", "Not compliant", "In grace period")), os,
                rng.choice(versions), checked_in if rng.random() < 0.9 else "2026-08-01 10:00:00.0000000",
                address, address, name, f"SN{rng.getrandbits(40):010X}",
            )
        )  # fmt: skip
        truth.devices += 1
    text.flush()
    text.detach()
    return truth


def users_csv(n: int, seed: int, **options: object) -> tuple[bytes, Truth]:
    buffer = io.BytesIO()
    truth = write_users(buffer, n, seed, **options)  # type: ignore[arg-type]
    return buffer.getvalue(), truth


def devices_csv(n: int, users: int, seed: int, **options: object) -> tuple[bytes, Truth]:
    buffer = io.BytesIO()
    truth = write_devices(buffer, n, users, seed, **options)  # type: ignore[arg-type]
    return buffer.getvalue(), truth
