"""The import's report in words, for the command line (the site renders the Proposal itself)."""

from __future__ import annotations

from advisor.directory.proposal import Proposal, ProposedGroup
from advisor.model.i18n import gettext
from advisor.model.vocabulary import Language, term


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
        spellings = ", ".join(f"“{s}” ({n})" for s, n in variant.spellings.items())
        lines.append(
            gettext(
                "Department %(name)s, written as: %(spellings)s",
                language,
                name=variant.department,
                spellings=spellings,
            )
        )
    if r.executive_titles:
        titles = ", ".join(f"{t} ({n})" for t, n in r.executive_titles.items())
        lines.append(
            gettext("Executives found by job title (confirm them): %(titles)s", language, titles=titles)
        )
    if proposal.has_devices:
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
            lines.append(gettext("Unknown operating system “%(os)s”: %(n)s devices", language, os=name, n=n))
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
