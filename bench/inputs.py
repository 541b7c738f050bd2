"""Generated answers for the benchmarks: random groups and assessments, the same for one seed."""

from __future__ import annotations

import random
from typing import Any

from advisor.model.facts import Assessment, Group, Organisation
from advisor.model.questionnaire import GROUP
from advisor.model.vocabulary import SPLIT_CHOICES


def random_group(rng: random.Random, index: int) -> Group:
    users = rng.choice([rng.randint(1, 120), rng.randint(1, 5000)])
    answers: dict[str, Any] = {
        "id": f"g{index}",
        "name": f"Group {index}",
        "department": rng.choice(["IT", "Sales", "HR", "Ops"]),
        "users": users,
        "devices": rng.randint(0, users * 3),
        "locations": rng.sample(["Oslo", "Lund", "Umeå", "Bergen"], rng.randint(0, 2)),
    }
    for question in GROUP:  # every other answer from its kind and choices
        if question.name in answers:
            continue
        if question.kind == "bool":
            answers[question.name] = rng.random() < 0.2
        elif question.kind == "choice":
            answers[question.name] = rng.choice(question.choices)
        elif question.kind == "multi":
            answers[question.name] = rng.sample(question.choices, rng.randint(int(question.required), 3))
        elif question.kind == "int":  # within the field's own bounds (a share is at most 100)
            metadata = Group.model_fields[question.name].metadata
            low = max([int(question.required), *(m.ge for m in metadata if hasattr(m, "ge"))])
            high = min([1000, *(m.le for m in metadata if hasattr(m, "le"))])
            answers[question.name] = rng.randint(low, high)
    return Group.model_validate(answers)


def random_assessment(rng: random.Random, number: int) -> Assessment:
    """An organisation of 4 to 20 random groups (as saved assessments are), with a helpdesk that
    takes all their users within a year, so that it plans (a split by platform counts each
    platform's load, and quiet months add more) rather than being refused."""
    groups = [random_group(rng, i) for i in range(rng.randint(4, 20))]
    organisation = Organisation(
        name=f"Organisation {number}",
        rollout_start=f"{rng.randint(2027, 2029)}-{rng.randint(1, 12):02d}",
        support_capacity=max(100, -(-sum(g.users for g in groups) // 12)),
        split_by=rng.choice(SPLIT_CHOICES),
    )
    return Assessment(version=1, organisation=organisation, groups=groups)
