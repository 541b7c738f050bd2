"""Rollout Advisor: plans a Microsoft Intune rollout from the planning guide's rules."""

from advisor.model.errors import AdvisorError, EngineError, InputError, RulebookError
from advisor.model.facts import Assessment, load_assessment, parse_assessment
from advisor.model.plan import Plan
from advisor.planning.planner import make_plan
from advisor.rulebook import Rulebook, load_rulebook

__all__ = [
    "AdvisorError",
    "Assessment",
    "EngineError",
    "InputError",
    "Plan",
    "Rulebook",
    "RulebookError",
    "load_assessment",
    "load_rulebook",
    "make_plan",
    "parse_assessment",
]
