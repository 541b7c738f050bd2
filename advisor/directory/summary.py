"""The import's report in words, for the command line (the site renders the Proposal itself)."""

from __future__ import annotations

import re

from advisor.directory.proposal import Proposal, ProposedGroup
from advisor.model.i18n import gettext
from advisor.model.vocabulary import Language, term

# What a terminal would act on rather than show: control characters (escape sequences) and the
# marks that turn the direction of the text.
_UNSHOWN = re.compile(r"[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """Text from the file as it may be printed: such characters written as `\\x1b`, `\\u202e`."""
    return _UNSHOWN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def report_lines(proposal: Proposal, groups: list[ProposedGroup], language: Language) -> list[str]:
    r = proposal.report
    lines = [
        gettext(
            "Users read: %(n)s; in the groups: %(kept)s",
            language,
            n=r.users_read,
            kept=proposal.users_in_groups(groups),
        ),
        gettext(
            "Left out: %(disabled)s disabled, %(guests)s guests, %(blank)s without a user principal name, "
            "%(twice)s listed twice",
            language,
            disabled=r.disabled,
            guests=r.guests,
            blank=r.without_upn,
            twice=r.duplicates,
        ),
    ]
    if r.unassigned:
        lines.append(gettext("Without a department (in Unassigned): %(n)s", language, n=r.unassigned))
    for variant in r.department_variants:
        spellings = ", ".join(f"“{shown(s)}” ({n})" for s, n in variant.spellings.items())
        lines.append(
            gettext(
                "Department %(name)s, written as: %(spellings)s",
                language,
                name=shown(variant.department),
                spellings=spellings,
            )
        )
    if r.executive_titles:
        titles = ", ".join(f"{shown(t)} ({n})" for t, n in r.executive_titles.items())
        lines.append(
            gettext("Executives found by job title (confirm them): %(titles)s", language, titles=titles)
        )
    if r.departments_combined:
        lines.append(
            gettext(
                "The %(n)s smallest departments are put together in one group, so that the groups stay "
                "within the assessment's limit",
                language,
                n=r.departments_combined,
            )
        )
    if r.devices_not_joined:
        lines.append(
            gettext(
                "Not one device's user is in the users file: the devices file's user column does not hold "
                "the users' user principal names (map the column); the groups' devices are left for you "
                "to answer",
                language,
            )
        )
    if proposal.has_devices or r.devices_not_joined:
        lines.append(
            gettext(
                "Devices read: %(n)s; in the groups: %(kept)s",
                language,
                n=r.devices_read,
                kept=proposal.devices_in_groups(groups),
            )
        )
        lines.append(
            gettext(
                "Devices left out: %(none)s without a user, %(unknown)s whose user is not in the users file, "
                "%(out)s of users left out",
                language,
                none=r.devices_without_user,
                unknown=r.devices_of_unknown_users,
                out=r.devices_of_left_out_users,
            )
        )
        for name, n in r.other_platforms.items():
            lines.append(gettext("Not planned: %(os)s, %(n)s devices", language, os=name, n=n))
        for name, n in r.unknown_os.items():
            lines.append(
                gettext("Unknown operating system “%(os)s”: %(n)s devices", language, os=shown(name), n=n)
            )
        for flagged in r.unsupported:
            lines.append(
                gettext(
                    "No longer supported by Intune: %(platform)s %(version)s (from %(minimum)s), "
                    "%(n)s devices",
                    language,
                    platform=term(flagged.platform, language),
                    version=flagged.version,
                    minimum=flagged.minimum,
                    n=flagged.devices,
                )
            )
    return lines
