"""The proposal: what an import found, as aggregates only (no address, no name), JSON-able.

Users are counted in cells: one per (department, site, executive or not). Groups are made of
cells, so a user is in exactly one group; devices are counted in their user's cell, by platform
and ownership. The report says what was left out and why, and what the data got wrong.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.model.vocabulary import Platform

Owner = Literal["corporate", "personal", "unknown"]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cell(_Frozen):
    """The users of one department at one site (None: no site given), executives apart."""

    department: Name  # the canonical spelling ("Unassigned" in the proposal's language for none)
    site: Name | None
    executive: bool
    title: Name | None = None  # an executive's job title (tidied), by which they were found
    users: int
    devices: dict[Platform, int] = {}  # the planned platforms only
    ownership: dict[Owner, int] = {}

    @property
    def device_count(self) -> int:
        return sum(self.devices.values())


class ProposedGroup(_Frozen):
    """A group as proposed, before the respondent merges, splits, renames or excludes it."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")]
    name: Name
    department: Name | None  # None for the executives, drawn from several departments
    # The department as the import counts it (case and spaces not counting): what a re-import
    # matches on; None when the group holds several departments.
    department_key: Name | None = None
    cells: Annotated[list[int], Field(min_length=1)]  # indexes into Proposal.cells
    it_department: bool = False
    executives: bool = False
    # The executives are found by job title: the group stands only once the respondent confirms
    # it; unconfirmed, its users go back to their departments (see edits.py).
    executives_confirmed: bool = False
    sites: list[Name] = []
    # The departments put together in this group ("Other departments", past the assessment's limit
    # of groups; or merged by the respondent): their executives go back here, if not confirmed.
    departments: list[Name] = []


class Variant(_Frozen):
    """The spellings of one department in the file (as written, with their counts)."""

    department: Name
    spellings: dict[str, int]


class Unsupported(_Frozen):
    """Devices whose OS version Intune no longer supports (major version as written)."""

    platform: Platform
    version: str
    minimum: str
    devices: int


class Report(_Frozen):
    """What the import read, left out and found wrong; every user and device is in exactly one of
    the groups' cells or in exactly one of the counts left out (`left_out_users`,
    `left_out_devices`): read = in the cells + left out."""

    users_read: int = 0
    disabled: int = 0  # left out
    guests: int = 0  # left out (guest user type or #EXT# in the address)
    without_upn: int = 0  # left out: a row with no address cannot be joined or told apart
    duplicates: int = 0  # left out: an address seen before
    unassigned: int = 0  # counted, in the "Unassigned" department
    department_variants: list[Variant] = []
    executive_titles: dict[str, int] = {}  # job title -> users it made executives
    devices_read: int = 0
    devices_without_user: int = 0
    devices_of_unknown_users: int = 0  # whose user is not in the users file
    devices_of_left_out_users: int = 0  # whose user is disabled, a guest or a duplicate
    other_platforms: dict[str, int] = {}  # Linux, ChromeOS ...: counted, not planned
    unknown_os: dict[str, int] = {}  # OS strings we do not know (not personal): counted, not planned
    unsupported: list[Unsupported] = []  # planned all the same, flagged
    sites_capped: int = 0  # groups whose sites beyond the model's limit were put together
    # Devices were read but not one found its user in the users file: the groups' device answers
    # are left to the respondent (Proposal.has_devices is False).
    devices_not_joined: bool = False
    # Departments beyond the assessment's limit of groups, put together in one group.
    departments_combined: int = 0

    @property
    def left_out_users(self) -> int:
        return self.disabled + self.guests + self.without_upn + self.duplicates

    @property
    def left_out_devices(self) -> int:
        return (
            self.devices_without_user
            + self.devices_of_unknown_users
            + self.devices_of_left_out_users
            + sum(self.other_platforms.values())
            + sum(self.unknown_os.values())
        )


class Proposal(_Frozen):
    """The groups proposed from one import, with the cells they are made of and the report."""

    version: Literal[1] = 1
    language: Literal["en", "sv"] = "en"
    has_devices: bool = False
    cells: list[Cell]
    groups: list[ProposedGroup]
    report: Report

    def users_in_groups(self, groups: list[ProposedGroup] | None = None) -> int:
        return sum(self.cells[i].users for g in (self.groups if groups is None else groups) for i in g.cells)

    def devices_in_groups(self, groups: list[ProposedGroup] | None = None) -> int:
        return sum(
            self.cells[i].device_count for g in (self.groups if groups is None else groups) for i in g.cells
        )
