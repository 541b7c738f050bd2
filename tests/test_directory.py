"""Groups proposed from generated directory and device exports: reading, counting, edits, re-import.

Every export here is made up by bench/directory_data.py or written inline; no real person's data."""

from __future__ import annotations

import codecs
import io
import json
import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.directory.aggregate import platform_of, propose
from advisor.directory.columns import ColumnMapping, resolve
from advisor.directory.edits import (
    Edit,
    EditRefused,
    Exclude,
    Executives,
    Merge,
    Rename,
    Split,
    apply_edits,
    assessment_groups,
    merge_answers,
)
from advisor.directory.errors import FileRefused, MissingColumns
from advisor.directory.groups import to_group_answers
from advisor.directory.proposal import Proposal
from advisor.directory.reading import (
    CHUNK,
    DeviceRow,
    SizeLimited,
    UserRow,
    is_enrolled,
    parse_time,
    read_devices,
    read_headers,
    read_users,
)
from advisor.directory.settings import DirectorySettings, matcher
from advisor.model.facts import parse_assessment
from advisor.rulebook import Rulebook
from bench.directory_data import Truth, devices_csv, display_name, upn, users_csv

USERS = "userPrincipalName,displayName,department,accountEnabled,userType,jobTitle,physicalDeliveryOfficeName,city"
DEVICES = "Device name,Managed by,Ownership,OS,OS version,Last check-in,Primary user UPN"


@pytest.fixture(scope="module")
def options(rulebook: Rulebook) -> DirectorySettings:
    return DirectorySettings.from_rulebook(rulebook)


def stream(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def users_file(*rows: str, header: str = USERS) -> io.BytesIO:
    return stream("\r\n".join([header, *rows]) + "\r\n")


def refused(rows: Iterator[object]) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        list(rows)
    return caught.value


# Columns


@pytest.mark.parametrize(
    "header",
    [
        "userPrincipalName,department,accountEnabled,userType",
        "User Principal Name,Department,Account enabled,User type",
        "USER_PRINCIPAL_NAME;DEPARTMENT;ACCOUNT-ENABLED;USERTYPE",
        '"userPrincipalName","department","accountEnabled","userType"',
    ],
)
def test_user_headers_match_whatever_their_case_spacing_and_quotes(header: str) -> None:
    delimiter = ";" if ";" in header else ","
    row = delimiter.join(["Ada@Example.ORG ", "Sales", "True", "Member"])
    (user,) = read_users(stream(f"{header}\n{row}\n"))
    assert user == UserRow("ada@example.org", "Sales", True, False, None, None)


@pytest.mark.parametrize(
    "header",
    [
        DEVICES,
        "deviceName,managementAgent,managedDeviceOwnerType,operatingSystem,osVersion,lastSyncDateTime,userPrincipalName",
        "Device name,Managed by,Ownership,OS,OS version,Last check-in,Primary user email address",
        "DeviceName,ManagedBy,Ownership,OS,OSVersion,LastContact,UPN",  # DevicesWithInventory via Graph
    ],
)
def test_device_headers_as_intune_exports_them_or_graph_names_them(header: str) -> None:
    text = f"{header}\nPC-1,Intune,Corporate,Windows,10.0.22631.4460,2026-11-20 08:12:33.0000000,Ada@example.org\n"
    (device,) = read_devices(stream(text))
    assert (device.upn, device.os, device.ownership, device.intune) == (
        "ada@example.org",
        "Windows",
        "corporate",
        True,
    )
    assert device.last_check_in is not None
    assert device.last_check_in.isoformat() == "2026-11-20T08:12:33+00:00"


def test_graphs_office_location_and_the_download_users_office_are_the_site() -> None:
    header = "userPrincipalName,department,accountEnabled,userType,officeLocation,city,country"
    users = list(read_users(users_file("a@x.org,S,True,Member,Kontor Umeå,Umeå,SE", "b@x.org,S,True,Member,,Luleå,SE",
                                       "c@x.org,S,True,Member,,,SE", header=header)))  # fmt: skip
    assert [u.site for u in users] == ["Kontor Umeå", "Luleå", "SE"]


def test_a_mapping_names_the_header_the_aliases_do_not_know() -> None:
    header = "Login,Avdelning,Aktiv,Typ"
    mapping = ColumnMapping(users={"upn": "Login", "department": "avdelning", "account_enabled": "Aktiv",
                                   "user_type": "Typ"})  # fmt: skip
    (user,) = read_users(users_file("a@x.org,Ekonomi,Falskt,Member", header=header), mapping)
    assert (user.upn, user.department, user.enabled) == ("a@x.org", "Ekonomi", False)


def test_a_mapping_of_a_field_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown field codes: surname"):
        ColumnMapping(users={"surname": "Efternamn"})


def test_missing_columns_name_the_fields_and_what_the_file_has() -> None:
    with pytest.raises(MissingColumns) as caught:
        list(read_users(users_file("a@x.org,S", header="userPrincipalName,Avdelning")))
    assert caught.value.missing == ("department", "account_enabled", "user_type")
    assert caught.value.headers == ("userPrincipalName", "Avdelning")
    assert caught.value.kind == "users"
    assert caught.value.code == "missing_columns"


def test_a_file_without_a_header_line_never_keeps_an_address_as_a_header() -> None:
    with pytest.raises(MissingColumns) as caught:
        list(read_users(stream("ada@example.org,Sales,True,Member\nbo@example.org,Sales,True,Member\n")))
    assert "ada@example.org" not in repr(caught.value.headers) + str(caught.value)
    assert caught.value.headers[0] == "column 1"


def test_the_exports_own_header_comes_before_an_alias() -> None:
    headers = ["UPN", "userPrincipalName", "department", "accountEnabled", "userType"]
    assert resolve("users", headers)["upn"] == 1
    assert resolve("users", headers, {"upn": "UPN"})["upn"] == 0  # unless the user says otherwise


# Encodings and delimiters


def test_excel_unicode_text_utf16_with_tabs_is_read() -> None:
    data, truth = users_csv(300, 1, encoding="utf-16", delimiter="\t")
    assert data.startswith(codecs.BOM_UTF16_LE)
    users = list(read_users(io.BytesIO(data)))
    assert len(users) == truth.rows == 300
    assert users[0].upn == upn(0)


def test_utf16_big_endian_is_read() -> None:
    data = f"{USERS}\r\nå@x.org,Åsa Öberg,Försäljning,True,Member,,Umeå,\r\n".encode("utf-16-be")
    (user,) = read_users(io.BytesIO(codecs.BOM_UTF16_BE + data))
    assert (user.department, user.site) == ("Försäljning", "Umeå")


def test_windows_1252_after_64_kb_of_ascii_is_still_read_right() -> None:
    ascii_rows = "\r\n".join(f"user{i}@x.org,User {i},Sales,True,Member,,Lund," for i in range(2000))
    text = f"{USERS}\r\n{ascii_rows}\r\nlast@x.org,Renée Åberg,Försäljning,True,Member,Direktör,Umeå,\r\n"
    data = text.encode("cp1252")
    assert data.index("é".encode("cp1252")) > 64 * 1024
    users = list(read_users(io.BytesIO(data)))
    assert (users[-1].department, users[-1].site, users[-1].job_title) == ("Försäljning", "Umeå", "Direktör")


def test_swedish_excel_csv_cp1252_with_semicolons_is_read() -> None:
    data, truth = users_csv(500, 2, encoding="cp1252", delimiter=";")
    assert sum(1 for _ in read_users(io.BytesIO(data))) == truth.rows


def test_utf8_with_a_bom_is_read() -> None:
    data, _ = users_csv(50, 3, encoding="utf-8-sig")
    assert data.startswith(codecs.BOM_UTF8)
    assert next(read_users(io.BytesIO(data))).upn == upn(0)


def test_excels_sep_line_gives_the_delimiter() -> None:
    (user,) = read_users(
        stream(
            "sep=;\r\nuserPrincipalName;department;accountEnabled;userType\r\na@x.org;A, B;True;Member\r\n"
        )
    )
    assert user.department == "A, B"


def test_utf8_that_breaks_later_is_refused_at_its_line() -> None:
    good = "\r\n".join(f"u{i}@x.org,Åsa,Sales,True,Member,,," for i in range(3000))
    data = f"{USERS}\r\n{good}\r\n".encode() + "x@x.org,Renée,Sales,True,Member,,,\r\n".encode("cp1252")
    error = refused(read_users(io.BytesIO(data)))
    assert (error.code, error.line) == ("encoding", 3002)
    assert "line 3002 is not UTF-8 text" in str(error)


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_refused_at_their_line() -> None:
    data = f"{USERS}\r\na@x.org,A,S,True,Member,,,\r\n".encode() + b"b@x.org,\x81,S,True,Member,,,\r\n"
    assert (refused(read_users(io.BytesIO(data))).code, refused(read_users(io.BytesIO(data))).line) == (
        "undecodable",
        3,
    )


# Bad files: refused with a code and a place, never a value


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (f"{USERS}\r\n".encode(), "no_rows"),
        (f"{USERS}\r\n\r\n\r\n".encode(), "no_rows"),
        (b"Dear colleagues\nplease find the list attached\n", "not_csv"),
        (b'{"users": []}\n', "not_csv"),
        (f"{DEVICES}\nPC,Intune,Corporate,Windows,10,2026-01-01,a@x.org\n".encode(), "devices_as_users"),
    ],
)
def test_bad_users_files_are_refused_with_a_code(data: bytes, code: str) -> None:
    assert refused(read_users(io.BytesIO(data))).code == code


def test_a_users_file_given_as_the_devices_file_says_so() -> None:
    data, _ = users_csv(10, 4)
    error = refused(read_devices(io.BytesIO(data)))
    assert error.code == "users_as_devices"
    assert "looks like a users export" in str(error)


def test_a_row_with_the_wrong_number_of_fields_names_its_line_and_no_value() -> None:
    error = refused(
        read_users(users_file("a@x.org,A,Sales,True,Member,,Lund,", "secret@x.org,Secret Name,Sales,True"))
    )
    assert (error.code, error.line, error.values["found"], error.values["expected"]) == (
        "field_count",
        3,
        4,
        8,
    )
    assert "secret" not in str(error).lower()


def test_trailing_empty_fields_past_the_header_are_tolerated() -> None:
    (user,) = read_users(users_file("a@x.org,A,Sales,True,Member,,Lund,,,"))
    assert user.site == "Lund"


def test_an_over_long_field_names_its_line_and_column() -> None:
    error = refused(
        read_users(users_file("a@x.org,A,Sales,True,Member,,Lund,", f"b@x.org,B,{'S' * 5000},True,Member,,,"))
    )
    assert (error.code, error.line, error.column) == ("field_too_long", 3, 3)


def test_a_line_without_end_is_refused_before_memory_runs_out() -> None:
    data = f"{USERS}\r\n".encode() + b"a" * 1_200_000
    assert refused(read_users(io.BytesIO(data))).code == "line_too_long"


def test_broken_quoting_names_its_line() -> None:
    error = refused(
        read_users(users_file('a@x.org,A,"Sal"es,True,Member,,,', 'b@x.org,"B,Sales,True,Member,,,'))
    )
    assert error.code in ("bad_quotes", "field_count")
    assert error.line is not None


def test_the_reasons_say_themselves_in_swedish(rulebook: Rulebook) -> None:
    error = refused(read_users(io.BytesIO(b"PK\x03\x04rest")))
    assert error.say("sv") != error.say("en")
    assert "Excel" in error.say("sv")


# Values as the exports write them


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-11-20 08:12:33.0000000", "2026-11-20T08:12:33+00:00"),
        ("2026-11-20T08:12:33Z", "2026-11-20T08:12:33+00:00"),
        ("2026-11-20T09:12:33+01:00", "2026-11-20T08:12:33+00:00"),
        ("11/20/2026 8:12:33 AM", "2026-11-20T08:12:33+00:00"),
        ("", None),
        ("yesterday", None),
    ],
)
def test_check_in_times_as_exported(text: str, iso: str | None) -> None:
    moment = parse_time(text)
    assert (moment.isoformat() if moment else None) == iso


@pytest.mark.parametrize(
    ("os", "platform"),
    [
        ("Windows", "windows"),
        ("iOS/iPadOS", "ios"),
        ("iPadOS", "ios"),
        ("Android (personally-owned work profile)", "android"),
        ("AndroidEnterprise", "android"),
        ("macOS", "macos"),
        ("Mac OS X", "macos"),
        ("Linux", "Linux"),
        ("Ubuntu 22.04", "Linux"),
        ("ChromeOS", "ChromeOS"),
        ("Tizen", None),
        ("", None),
    ],
)
def test_os_strings_map_to_platforms(os: str, platform: str | None) -> None:
    assert platform_of(os) == platform


def test_patterns_are_whole_words_with_stars_at_the_ends_only() -> None:
    executive = matcher(("VD", "*direktör", "Chief"))
    assert [bool(executive.search(t)) for t in ("Vice VD", "Kommundirektör", "Chief Nurse", "VDI-tekniker")] == [
        True, True, True, False]  # fmt: skip
    it = matcher(("IT", "Digitalisering*"))
    assert [bool(it.search(d)) for d in ("IT-avdelningen", "Audit", "Digitaliseringsenheten", "Kommunikation")] == [
        True, False, True, False]  # fmt: skip


def test_patterns_typed_for_one_import_replace_the_rule_files(rulebook: Rulebook) -> None:
    typed = DirectorySettings.from_rulebook(rulebook, executive_patterns=["Rektor"], it_patterns=None)
    assert typed.executive_matcher.search("Rektor") is not None
    assert typed.executive_matcher.search("CEO") is None
    assert typed.it_matcher.search("IT") is not None  # not typed: the rule file's


def test_a_typed_pattern_with_a_star_inside_is_refused(options: DirectorySettings) -> None:
    with pytest.raises(ValueError, match=r"with \* only at its start or end"):
        options.model_validate({**options.model_dump(), "it_patterns": ["I*T"]})


# The proposal from a generated organisation


Generated = tuple[Proposal, Truth, Truth]


@pytest.fixture(scope="module")
def organisation(options: DirectorySettings) -> Generated:
    users, truth = users_csv(20_000, 16)
    devices, device_truth = devices_csv(30_000, 20_000, 16)
    return propose(io.BytesIO(users), io.BytesIO(devices), settings=options), truth, device_truth


def test_disabled_guests_and_unassigned_are_counted_as_generated(organisation: Generated) -> None:
    proposal, truth, _ = organisation
    report = proposal.report
    assert (report.users_read, report.disabled, report.guests, report.unassigned) == (
        truth.rows, truth.disabled, truth.guests, truth.unassigned)  # fmt: skip
    assert proposal.users_in_groups() == truth.rows - truth.disabled - truth.guests


def test_one_department_whatever_its_spelling_with_the_variants_listed(organisation: Generated) -> None:
    proposal, truth, _ = organisation
    users: dict[str, int] = {}
    for cell in proposal.cells:
        if not cell.executive:
            users[cell.department] = users.get(cell.department, 0) + cell.users
    executives = sum(c.users for c in proposal.cells if c.executive)
    assert executives == truth.executives
    assert sum(users.values()) + executives == proposal.users_in_groups()
    sales = next(v for v in proposal.report.department_variants if v.department == "Sales")
    assert set(sales.spellings) == {"Sales", "sales ", "SALES", " Sales"}
    assert {c.department for c in proposal.cells} == {*truth.members, "Unassigned"}


def test_devices_are_counted_once_in_their_users_cell_or_in_a_reason(organisation: Generated) -> None:
    proposal, _, devices = organisation
    report = proposal.report
    assert report.devices_read == devices.devices
    assert report.devices_without_user == devices.without_user
    # beyond the users file, and the guests' (whose address the directory rewrote with #EXT#)
    assert report.devices_of_unknown_users > devices.unknown_user > 0
    assert proposal.devices_in_groups() + report.left_out_devices == report.devices_read
    assert set(report.other_platforms) == {"Linux", "ChromeOS"}
    assert set(report.unknown_os) == {"Tizen", ""}


def test_os_versions_intune_no_longer_supports_are_flagged_with_counts(organisation: Generated) -> None:
    flagged = {(u.platform, u.version): u for u in organisation[0].report.unsupported}
    assert set(flagged) == {("windows", "10.0.19044"), ("windows", "10.0.17763"), ("ios", "16"), ("ios", "15"),
                            ("android", "9"), ("android", "8"), ("macos", "13")}  # fmt: skip
    assert flagged[("ios", "16")].minimum == "17"
    assert flagged[("ios", "16")].devices > 0


def test_large_departments_are_split_by_site_and_it_is_flagged(
    organisation: Generated, options: DirectorySettings
) -> None:
    proposal = organisation[0]
    names = {g.name for g in proposal.groups}
    assert "Produktion – Kiruna" in names
    assert "Produktion" not in names
    assert "Ekonomi" in names or any(n.startswith("Ekonomi") for n in names)
    small = [g for g in proposal.groups if g.department == "Human Resources"]
    assert len(small) == 1 or proposal.users_in_groups(small) > options.site_split_users
    assert all(g.it_department == (g.department == "IT") for g in proposal.groups)


def test_every_proposed_group_is_a_valid_assessment_group(organisation: Generated) -> None:
    proposal = organisation[0]
    groups = assessment_groups(proposal, proposal.groups)
    assessment = parse_assessment(
        {"version": 1, "organisation": {"name": "Generated", "rollout_start": "2027-03"}, "groups": groups}
    )
    assert sum(g.users for g in assessment.groups) == proposal.users_in_groups()
    assert sum(g.device_count for g in assessment.groups) == proposal.devices_in_groups()
    assert not any(g.executives for g in assessment.groups)  # never assumed: not confirmed


def test_nothing_personal_is_in_the_proposal(organisation: Generated) -> None:
    text = organisation[0].model_dump_json()
    for index in (0, 1, 2, 17, 4242, 19_999):
        assert upn(index) not in text
        assert upn(index).split("@")[0] not in text
        assert display_name(index) not in text
    assert "@" not in text
    assert "contoso" not in text


def test_the_proposal_is_json_and_back(organisation: Generated) -> None:
    proposal = organisation[0]
    assert Proposal.model_validate(json.loads(proposal.model_dump_json())) == proposal


# A small organisation, written by hand


def small(options: DirectorySettings, language: str = "en") -> Proposal:
    users = users_file(
        "a@x.org,A,Sales,True,Member,,Umeå,",
        "b@x.org,B,sales ,True,Member,VD,Umeå,",
        "c@x.org,C,,True,Member,,,Luleå",
        "d@x.org,D,Sales,False,Member,,Lund,",
        "e_x.org#EXT#@x.onmicrosoft.com,E,Sales,True,Guest,,Lund,",
        "f@x.org,F,IT,True,Member,,Lund,",
        "A@X.ORG,A again,Sales,True,Member,,Umeå,",
    )
    devices = stream(
        f"{DEVICES}\n"
        "1,Intune,Corporate,Windows,10.0.26100,2026-11-20,a@x.org\n"
        "2,Intune,Personal,iOS/iPadOS,16.7,2026-11-20,A@x.org\n"
        "3,Intune,Corporate,Android,14,2026-11-20,b@x.org\n"
        "4,Intune,Corporate,Windows,10.0.26100,2026-11-20,d@x.org\n"
        "5,Intune,Corporate,Windows,10.0.26100,2026-11-20,\n"
        "6,Intune,Corporate,Windows,10.0.26100,2026-11-20,zed@x.org\n"
        "7,Intune,Corporate,Linux,22.04,2026-11-20,f@x.org\n"
        "8,Intune,Corporate,Windows,10.0.26100,2026-11-20,f@x.org\n"
    )
    return propose(users, devices, settings=options, language=language)  # type: ignore[arg-type]


def test_the_join_counts_each_device_where_its_user_is(options: DirectorySettings) -> None:
    proposal = small(options)
    report = proposal.report
    assert (report.users_read, report.disabled, report.guests, report.duplicates, report.unassigned) == (
        7,
        1,
        1,
        1,
        1,
    )
    assert (
        report.devices_without_user,
        report.devices_of_unknown_users,
        report.devices_of_left_out_users,
    ) == (1, 1, 1)
    assert report.other_platforms == {"Linux": 1}
    sales = next(g for g in proposal.groups if g.name == "Sales")
    answers = to_group_answers(sales, proposal.cells, has_devices=True)
    assert (answers["users"], answers["devices"], answers["devices_by_platform"]) == (
        1,
        2,
        {"windows": 1, "ios": 1},
    )
    assert (answers["ownership"], answers["personal_percent"]) == ("mixed", 50)
    assert answers["users_by_location"] == {"Umeå": 1}
    assert report.executive_titles == {"VD": 1}


def test_a_group_without_a_site_for_some_users_says_so(options: DirectorySettings) -> None:
    proposal = small(options)
    groups = apply_edits(proposal, [Merge(groups=["unassigned", "it"], name="Others")])
    others = next(g for g in groups if g.name == "Others")
    answers = to_group_answers(others, proposal.cells, has_devices=True)
    assert answers["users_by_location"] == {"Lund": 1, "Luleå": 1}
    assert answers["it_department"] is False


def test_unconfirmed_executives_go_back_to_their_department(options: DirectorySettings) -> None:
    proposal = small(options)
    executives = next(g for g in proposal.groups if g.executives)
    assert executives.executives_confirmed is False
    folded = {a["name"]: a for a in assessment_groups(proposal, proposal.groups)}
    assert "Executives" not in folded
    assert folded["Sales"]["users"] == 2
    rejected = apply_edits(proposal, [Executives(group=executives.id, confirmed=False)])
    assert [g.name for g in rejected] == ["IT", "Sales", "Unassigned"]
    confirmed = apply_edits(proposal, [Executives(group=executives.id, confirmed=True)])
    kept = {a["name"]: a for a in assessment_groups(proposal, confirmed)}
    assert kept["Executives"]["executives"] is True
    assert kept["Sales"]["users"] == 1


def test_names_in_swedish(options: DirectorySettings) -> None:
    proposal = small(options, "sv")
    assert {g.name for g in proposal.groups} == {"IT", "Sales", "Ej tilldelad", "Företagsledare"}


# Edits


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (Rename(group="nope", name="X"), "unknown_group"),
        (Merge(groups=["sales", "sales"], name="X"), "repeated_group"),
        (Split(group="sales"), "one_site"),
        (Executives(group="sales", confirmed=True), "not_executives"),
    ],
)
def test_an_impossible_edit_is_refused_and_says_why(
    options: DirectorySettings, edit: object, code: str
) -> None:
    with pytest.raises(EditRefused) as caught:
        apply_edits(small(options), [edit])  # type: ignore[list-item]
    assert caught.value.code == code
    assert caught.value.format_message().startswith("edits[0]: ")


def test_merge_split_rename_and_exclude(options: DirectorySettings) -> None:
    proposal = small(options)
    total = proposal.users_in_groups()
    groups = apply_edits(
        proposal,
        [
            Merge(groups=["it", "unassigned"], name="Support"),
            Split(group="it"),
            Rename(group="sales", name="Sälj"),
        ],
    )
    assert [g.name for g in groups] == ["Support – Lund", "Support – Luleå", "Sälj", "Ledning"] or [
        g.name for g in groups
    ] == ["Support – Luleå", "Support – Lund", "Sälj", "Executives"]
    assert proposal.users_in_groups(groups) == total
    excluded = apply_edits(proposal, [Exclude(group="unassigned")])
    assert proposal.users_in_groups(excluded) == total - 1


# Re-import


def test_a_reimport_changes_the_counts_and_keeps_every_other_answer(options: DirectorySettings) -> None:
    first, _ = users_csv(2000, 30)
    proposal = propose(io.BytesIO(first), io.BytesIO(devices_csv(3000, 2000, 30)[0]), settings=options)
    answered = [
        {**g, "change_readiness": "high", "feedback": True, "needs_help": "low", "business_risk": "high",
         "requirements": ["email"], "avoid_months": ["07"]}
        for g in assessment_groups(proposal, proposal.groups)
    ]  # fmt: skip
    answered.append({"id": "contractors", "name": "Contractors", "users": 12, "platforms": ["windows"]})
    existing = {"version": 1, "organisation": {"name": "X", "rollout_start": "2027-01"}, "groups": answered}
    later, _ = users_csv(2400, 31)
    again = propose(io.BytesIO(later), io.BytesIO(devices_csv(3600, 2400, 31)[0]), settings=options)
    groups, changes = merge_answers(existing, assessment_groups(again, again.groups), has_devices=True)
    by_id = {g["id"]: g for g in groups}
    assert by_id["contractors"] == answered[-1]
    # Sales grew past the split threshold: its one group is kept and flagged, its sites added
    assert changes.not_in_data == ["sales", "contractors"]
    assert by_id["sales"] == answered[[g["id"] for g in answered].index("sales")]
    assert {"sales-stockholm", "sales-london"} <= set(changes.added)
    for group in answered[:-1]:
        kept = by_id[group["id"]]
        assert {k: kept[k] for k in ("change_readiness", "feedback", "requirements", "avoid_months")} == {
            "change_readiness": "high", "feedback": True, "requirements": ["email"], "avoid_months": ["07"]}  # fmt: skip
    assert any(c.field == "users" and c.new != c.old for c in changes.changed)
    current = [g for g in groups if g["id"] not in changes.not_in_data]
    assert sum(g["users"] for g in current) == again.users_in_groups()
    parse_assessment({**existing, "groups": groups})


def test_a_reimport_without_devices_leaves_the_device_answers(options: DirectorySettings) -> None:
    proposal = small(options)
    existing = {"groups": assessment_groups(proposal, proposal.groups)}
    users_only = propose(users_file("a@x.org,A,Sales,True,Member,,Umeå,", "q@x.org,Q,Sales,True,Member,,Umeå,",
                                    "r@x.org,R,Sales,True,Member,,Umeå,"), settings=options)  # fmt: skip
    groups, changes = merge_answers(
        existing, assessment_groups(users_only, users_only.groups), has_devices=False
    )
    sales = next(g for g in groups if g["name"] == "Sales")
    assert (sales["users"], sales["devices"], sales["ownership"]) == (3, 3, "mixed")  # the VD's phone too
    assert [(c.field, c.old, c.new) for c in changes.changed] == [
        ("users", 2, 3), ("users_by_location", {"Umeå": 2}, {"Umeå": 3})]  # fmt: skip
    assert sorted(changes.not_in_data) == ["it", "unassigned"]


# Nobody counted twice


rows = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.sampled_from(["Sales", "sales ", "SALES", "IT", "", "Ekonomi", "Produktion"])
        | st.text(max_size=6),
        st.booleans(),
        st.sampled_from(["Member", "Member", "Guest"]),
        st.sampled_from(["", "VD", "Tekniker", "Chief Executive Officer"]) | st.text(max_size=6),
        st.sampled_from(["", "Umeå", "umeå ", "Lund", "Kiruna", "\ufeff", "\u00a0x"]) | st.text(max_size=6),
    ),
    min_size=1,
    max_size=120,
)
machines = st.lists(
    st.tuples(
        st.integers(-1, 50),
        st.sampled_from(["Windows", "iOS/iPadOS", "Android", "macOS", "Linux", "Plan 9"]),
        st.sampled_from(["Corporate", "Personal", ""]),
    ),
    max_size=200,
)


@given(rows, machines, st.integers(1, 30))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_users_and_devices_in_groups_plus_those_left_out_are_all_that_were_read(
    options: DirectorySettings, people: list[tuple[int, str, bool, str, str, str]],
    devices: list[tuple[int, str, str]], split: int,
) -> None:  # fmt: skip
    users = [
        UserRow(f"u{n}@x.org", d or None, e, t == "Guest", j or None, s or None)
        for n, d, e, t, j, s in people
    ]
    things = [
        DeviceRow(None if n < 0 else f"u{n}@x.org", os, "1", "corporate" if o == "Corporate" else "personal" if o else "unknown",
                  "Intune", True, None)
        for n, os, o in devices
    ]  # fmt: skip
    tuned = options.model_copy(update={"site_split_users": split})
    proposal = propose(users, things, settings=tuned)
    report = proposal.report
    assert proposal.users_in_groups() + report.left_out_users == report.users_read == len(users)
    assert proposal.devices_in_groups() + report.left_out_devices == report.devices_read == len(things)
    answers = assessment_groups(proposal, proposal.groups)
    assert sum(a["users"] for a in answers) == proposal.users_in_groups()
    assert sum(a["devices"] for a in answers) == proposal.devices_in_groups()


def test_lines_are_counted_from_the_top_of_the_file_whatever_comes_before_the_header() -> None:
    text = "\r\n\r\nsep=,\r\nuserPrincipalName,department,accountEnabled,userType\r\na@x.org,S,True,Member\r\nb@x.org,S\r\n"
    assert refused(read_users(stream(text))).line == 6


def test_an_upload_past_its_size_limit_is_refused_while_it_is_read() -> None:
    data, _ = users_csv(3000, 9)
    limited = SizeLimited(io.BytesIO(data), 100_000, "users")
    error = refused(read_users(limited))
    assert (error.code, error.values["megabytes"]) == ("too_large", 0)
    assert limited.consumed <= 100_000 + CHUNK  # not read to its end
    assert len(list(read_users(SizeLimited(io.BytesIO(data), len(data), "users")))) == 3000


@pytest.mark.parametrize(
    ("managed", "seen", "enrolled"),
    [
        ("Intune", "2026-11-20 08:00:00", True),
        ("Co-managed", "2026-10-22 08:00:00", True),
        ("Intune", "2026-10-20 08:00:00", False),  # silent for more than 30 days
        ("ConfigMgr", "2026-11-20 08:00:00", False),
        ("EAS", "2026-11-20 08:00:00", False),
        ("mdm", "2026-11-20T08:00:00Z", True),
        ("Intune", "", False),
    ],
)
def test_enrolled_means_managed_by_intune_and_seen_lately(managed: str, seen: str, enrolled: bool) -> None:
    (device,) = read_devices(stream(f"{DEVICES}\nPC,{managed},Corporate,Windows,10.0.26100,{seen},a@x.org\n"))
    now = parse_time("2026-11-21 08:00:00")
    assert now is not None
    assert is_enrolled(device, now, 30) is enrolled


def test_a_department_split_since_the_last_import_is_not_matched_to_any_one_part() -> None:
    existing = {
        "groups": [{"id": "team", "name": "Sales", "users": 10, "platforms": ["windows"], "feedback": True}]
    }
    proposed = [
        {
            "id": "sales-umea",
            "name": "Sales – Umeå",
            "department": "Sales",
            "users": 6,
            "platforms": ["windows"],
        },
        {
            "id": "sales-lund",
            "name": "Sales – Lund",
            "department": "Sales",
            "users": 7,
            "platforms": ["windows"],
        },
    ]
    groups, changes = merge_answers(existing, proposed, has_devices=False)
    assert groups[0] == existing["groups"][0]
    assert (changes.changed, changes.added, changes.not_in_data) == (
        [],
        ["sales-umea", "sales-lund"],
        ["team"],
    )
    one = [{**proposed[0], "id": "sales", "name": "Sales", "users": 13}]
    groups, changes = merge_answers(existing, one, has_devices=False)
    assert (groups[0]["id"], groups[0]["users"], groups[0]["feedback"]) == ("team", 13, True)  # by department
    assert [(c.group, c.field, c.old, c.new) for c in changes.changed] == [("team", "users", 10, 13)]


@pytest.mark.parametrize(
    "row",
    [
        "secret.person@x.org,Secret Person,Sales,True",  # too few fields
        f"secret.person@x.org,Secret Person,{'Secret' * 400},True,Member,,,",  # too long
        'secret.person@x.org,"Secret Person,Sales,True,Member,,,',  # a quote never closed
    ],
)
def test_no_error_quotes_a_cell(row: str) -> None:
    error = refused(read_users(users_file("a@x.org,A,Sales,True,Member,,Lund,", row)))
    said = f"{error} {error.say('sv')} {error.values} {error.format_message()}"
    assert "secret" not in said.lower()
    assert error.line == 3


def test_the_headers_alone_for_the_mapping_form() -> None:
    data = "\ufeffLogin;Avdelning;Aktiv;Typ\r\nada@example.org;Ekonomi;True;Member\r\n".encode()
    assert read_headers(io.BytesIO(data), "users") == ("Login", "Avdelning", "Aktiv", "Typ")


@pytest.fixture(scope="module")
def mid_sized(options: DirectorySettings) -> Proposal:
    users, devices = users_csv(1500, 40)[0], devices_csv(2000, 1500, 40)[0]
    return propose(io.BytesIO(users), io.BytesIO(devices), settings=options)


@given(
    st.lists(st.sampled_from(["merge", "exclude", "split", "rename", "confirm", "reject"]), max_size=6),
    st.randoms(),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_after_any_edits_the_groups_and_the_excluded_hold_every_user_once(
    mid_sized: Proposal, operations: list[str], rng: random.Random
) -> None:
    proposal = mid_sized
    groups, excluded = list(proposal.groups), 0
    for operation in operations:
        group = rng.choice(groups)
        edit: Edit
        if operation == "merge" and len(groups) > 1:
            edit = Merge(groups=[g.id for g in rng.sample(groups, 2)], name="Merged")
        elif operation == "exclude" and len(groups) > 1:
            edit, excluded = Exclude(group=group.id), excluded + proposal.users_in_groups([group])
        elif operation == "split" and len(group.sites) > 1:
            edit = Split(group=group.id)
        elif operation in ("confirm", "reject") and group.executives:
            edit = Executives(group=group.id, confirmed=operation == "confirm")
        else:
            edit = Rename(group=group.id, name="Renamed")
        groups = apply_edits(proposal.model_copy(update={"groups": groups}), [edit])
    assert proposal.users_in_groups(groups) + excluded == proposal.users_in_groups()
    answers = assessment_groups(proposal, groups)
    assert sum(a["users"] for a in answers) + excluded == proposal.users_in_groups()
    assert len({a["id"] for a in answers}) == len(answers)
