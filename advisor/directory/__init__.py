"""Groups proposed from the organisation's own directory and device exports (aggregates only).

read (reading, columns) -> count and group (aggregate, groups) -> the respondent's edits and a
re-import (edits); rules/directory.yaml tunes it (settings).
"""

from advisor.directory.aggregate import propose
from advisor.directory.columns import ColumnMapping
from advisor.directory.edits import (
    Changes,
    ConfirmExecutives,
    Edit,
    EditRefused,
    Exclude,
    Executives,
    FieldChange,
    Merge,
    Rename,
    Split,
    apply_edits,
    assessment_groups,
    final_groups,
    merge_answers,
)
from advisor.directory.errors import FileRefused, MissingColumns
from advisor.directory.groups import to_group_answers
from advisor.directory.proposal import Cell, Proposal, ProposedGroup, Report
from advisor.directory.reading import (
    DeviceRow,
    SizeLimited,
    UserRow,
    is_enrolled,
    read_devices,
    read_headers,
    read_users,
)
from advisor.directory.settings import DirectorySettings

__all__ = [
    "Cell",
    "Changes",
    "ColumnMapping",
    "ConfirmExecutives",
    "DeviceRow",
    "DirectorySettings",
    "Edit",
    "EditRefused",
    "Exclude",
    "Executives",
    "FieldChange",
    "FileRefused",
    "Merge",
    "MissingColumns",
    "Proposal",
    "ProposedGroup",
    "Rename",
    "Report",
    "SizeLimited",
    "Split",
    "UserRow",
    "apply_edits",
    "assessment_groups",
    "final_groups",
    "is_enrolled",
    "merge_answers",
    "propose",
    "read_devices",
    "read_headers",
    "read_users",
    "to_group_answers",
]
