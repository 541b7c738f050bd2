"""Every error the advisor reports to a person, each able to show itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


class AdvisorError(Exception):
    """Base of all errors meant for a person; `exit_code` is what the CLI returns for it."""

    exit_code = 1

    def format_message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Problem:
    """One problem in an input document, located by its path (`groups[2].users`)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InputError(AdvisorError):
    """An assessment (or other input document) was refused whole; every problem is listed."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.format_message())

    def format_message(self) -> str:
        count = len(self.problems)
        head = f"{self.source}: {count} problem{'s' if count != 1 else ''} found, nothing was planned"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class RolloutTooLong(InputError):
    """The answers are valid, but the plan would run past the ceiling on months the service plans
    (a setting: an operational bound on the work and the size of one plan, not advice)."""

    def __init__(self, problem: Problem, months: int, ceiling: int) -> None:
        self.months = months
        self.ceiling = ceiling
        super().__init__("assessment", [problem])


@dataclass(frozen=True)
class Finding:
    """One finding about a rule file, in compiler style: `file:line [rule-id]: message`."""

    file: str
    line: int | None
    rule: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        rule = f" [{self.rule}]" if self.rule else ""
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}{rule}: {prefix}{self.message}"


class RulebookError(AdvisorError):
    """A rule folder did not load; every finding is listed, errors first."""

    def __init__(self, findings: list[Finding]) -> None:
        unique = list(dict.fromkeys(findings))  # one mistake can be seen twice (en and sv)
        self.findings = sorted(unique, key=lambda f: (f.severity != "error", f.file, f.line or 0))
        super().__init__(self.format_message())

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def format_message(self) -> str:
        count = len(self.errors)
        lines = [str(f) for f in self.findings]
        lines.append(f"{count} error{'s' if count != 1 else ''}: the rulebook was not loaded")
        return "\n".join(lines)


class EngineError(AdvisorError):
    """The rules engine failed while evaluating; this is a defect, never the user's input."""

    exit_code = 3


class NotAllowed(AdvisorError):
    """The person's role, or their relation to what they act on, does not allow what they asked."""
