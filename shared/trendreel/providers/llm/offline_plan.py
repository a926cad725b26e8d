"""Fitting scene sentences to a word budget, whole sentences only.

Every scene offers slots (a sentence with length variants) in tiers: tier 0 is always said, then
tier 1 (audience, talking points), tier 2 (more facts), tier 3 (style fillers). Slots are added
tier by tier, always to the scene with the fewest words so far, while the total stays within the
budget. Then single variant swaps move the total closer to the budget (they run first too when
the mandatory sentences alone overshoot), and if it is still over by more than the tolerance,
optional sentences are dropped, lowest priority first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trendreel.models.content import VisualIntent

MAX_TIER = 3
MAX_SWAP_PASSES = 40
TOLERANCE = 0.1


@dataclass(frozen=True)
class Slot:
    tier: int
    variants: tuple[str, ...]


@dataclass
class ScenePlan:
    intent: VisualIntent
    slots: list[Slot] = field(default_factory=list)

    def add(self, tier: int, variants: tuple[str, ...] | list[str]) -> None:
        unique = tuple(dict.fromkeys(v for v in variants if v))
        if unique:
            self.slots.append(Slot(tier, unique))


def word_count(text: str) -> int:
    return len(text.split())


class _State:
    """Which variant of which slot each scene says: ``chosen[(scene, slot)] = variant``."""

    def __init__(self, plans: list[ScenePlan]) -> None:
        self.plans = plans
        self.chosen: dict[tuple[int, int], int] = {}

    def words(self, key: tuple[int, int], variant: int | None = None) -> int:
        scene, slot = key
        index = self.chosen[key] if variant is None else variant
        return word_count(self.plans[scene].slots[slot].variants[index])

    def total(self) -> int:
        return sum(self.words(key) for key in self.chosen)

    def scene_words(self, scene: int) -> int:
        return sum(self.words(k) for k in self.chosen if k[0] == scene)


def fit_to_budget(plans: list[ScenePlan], budget: int) -> list[str]:
    """One narration per scene, as close to ``budget`` words as the sentences allow."""
    state = _State(plans)
    for scene, plan in enumerate(plans):
        for slot, spec in enumerate(plan.slots):
            if spec.tier == 0:
                state.chosen[(scene, slot)] = 0
    if state.total() > budget:
        _swap_variants(state, budget)
    for tier in range(1, MAX_TIER + 1):
        _fill_tier(state, tier, budget)
    _swap_variants(state, budget)
    _drop_optional(state, budget)
    return [_narration(state, scene) for scene in range(len(plans))]


def _fill_tier(state: _State, tier: int, budget: int) -> None:
    pending = [
        (scene, slot)
        for scene, plan in enumerate(state.plans)
        for slot, spec in enumerate(plan.slots)
        if spec.tier == tier
    ]
    while pending:
        scene, slot = min(pending, key=lambda k: (state.scene_words(k[0]), k))
        pending.remove((scene, slot))
        variant = _fitting_variant(state.plans[scene].slots[slot], budget - state.total())
        if variant is not None:
            state.chosen[(scene, slot)] = variant
        elif tier == 1:
            pending = [k for k in pending if k[0] != scene]


def _fitting_variant(slot: Slot, room: int) -> int | None:
    """The preferred variant if it fits in ``room`` words, else the longest that does."""
    sizes = [word_count(v) for v in slot.variants]
    if sizes[0] <= room:
        return 0
    fitting = [i for i, size in enumerate(sizes) if size <= room]
    return max(fitting, key=lambda i: (sizes[i], -i)) if fitting else None


def _swap_variants(state: _State, budget: int) -> None:
    """Greedy single swaps of one sentence for another length of it, nearest budget first."""
    for _ in range(MAX_SWAP_PASSES):
        gap = budget - state.total()
        best: tuple[int, tuple[int, int], int] | None = None
        for key in sorted(state.chosen):
            variants = state.plans[key[0]].slots[key[1]].variants
            for variant in range(len(variants)):
                delta = state.words(key, variant) - state.words(key)
                improvement = abs(gap) - abs(gap - delta)
                if improvement > 0 and (best is None or improvement > best[0]):
                    best = (improvement, key, variant)
        if best is None:
            return
        state.chosen[best[1]] = best[2]


def _drop_optional(state: _State, budget: int) -> None:
    limit = budget * (1 + TOLERANCE)
    optional = sorted(
        (k for k in state.chosen if state.plans[k[0]].slots[k[1]].tier > 0),
        key=lambda k: (-state.plans[k[0]].slots[k[1]].tier, -k[1], -k[0]),
    )
    for key in optional:
        if state.total() <= limit:
            return
        del state.chosen[key]


def _narration(state: _State, scene: int) -> str:
    slots = state.plans[scene].slots
    keys = sorted(k for k in state.chosen if k[0] == scene)
    return " ".join(slots[k[1]].variants[state.chosen[k]] for k in keys)
