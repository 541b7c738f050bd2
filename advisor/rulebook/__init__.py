"""The rulebook: rule files validated, checked, loaded and compiled for the engine."""

from advisor.rulebook.loader import Rulebook, RuleInfo, load_rulebook
from advisor.rulebook.schema import RuleFile

__all__ = ["RuleFile", "RuleInfo", "Rulebook", "load_rulebook"]
