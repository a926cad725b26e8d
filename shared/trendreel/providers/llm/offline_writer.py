"""The offline default script writer: planned narration from the report's facts, no API.

The narration is planned to ``target_seconds × NARRATION_WPM / 60`` words (within ±10 %), so the
voiceover lands near the target length when spoken at ``NARRATION_WPM``. Scenes: a hook, two to
five body scenes (about one scene per six seconds in all), and a call to action. Wording comes
from style phrase banks, chosen with a seed made from the topic, theme and style, so the same
report and config always give the same script.

Scripts keep their promises (``trendreel.quality``, checked again in review): a countdown hook
counts the body scenes, which are numbered out loud; a video too short for two body scenes gets
no count at all; and every text on screen is chosen from what its scene's narration says.
"""

from __future__ import annotations

import hashlib

from trendreel.models import Scene, Script, ThemeConfig, TrendReport
from trendreel.providers.base import NARRATION_WPM, UsageLog
from trendreel.providers.llm import offline_meta as meta
from trendreel.providers.llm.offline_facts import TopicFacts, gather_facts
from trendreel.providers.llm.offline_plan import TOLERANCE, ScenePlan, Slot, fit_to_budget
from trendreel.providers.llm.offline_scenes import build_plans, talking_point_groups
from trendreel.providers.llm.offline_voice import make_voice

SECONDS_PER_SCENE = 6.0
MIN_SCENES = 4
MAX_SCENES = 7


def word_budget(target_seconds: int) -> int:
    return round(target_seconds * NARRATION_WPM / 60.0)


def body_scene_count(target_seconds: int) -> int:
    """Scenes of about six seconds, hook and CTA included; 2–5 body scenes."""
    scenes = min(MAX_SCENES, max(MIN_SCENES, round(target_seconds / SECONDS_PER_SCENE)))
    return scenes - 2


class OfflineScriptWriter:
    """Deterministic template-and-plan script writer."""

    name = "offline"

    def write(
        self, report: TrendReport, config: ThemeConfig, target_seconds: int, usage: UsageLog
    ) -> Script:
        budget = word_budget(target_seconds)
        facts = gather_facts(report, config)
        hook_style = report.recommended_format.hook_style.strip().lower()
        # Very short videos cannot hold every mandatory sentence: use fewer body scenes, and at
        # one body scene let everything but the hook line and the call to action be dropped.
        for n_body in range(body_scene_count(target_seconds), 0, -1):
            voice = make_voice(config, facts.fields, n_body, _seed(report, config))
            groups = talking_point_groups(config.talking_points(), n_body)
            if n_body == 1 and hook_style == "countdown":
                hook_style = "bold claim"  # one point is no list: promise no count
            plans = build_plans(voice, hook_style, groups)
            if n_body == 1:
                plans = [_relax(plan) for plan in plans]
            narrations = fit_to_budget(plans, budget)
            if sum(len(n.split()) for n in narrations) <= budget * (1 + TOLERANCE):
                break
        hook = meta.screen_hook(facts, hook_style, voice.fields, narrations[0])
        cta = meta.call_to_action(config, narrations[-1])
        scenes = _scenes(plans, narrations, [[], *groups, []], facts, hook, cta)
        script = Script(
            title=meta.title(facts, config.config.style, voice.rng),
            hook=hook,
            scenes=scenes,
            call_to_action=cta,
            description=meta.description(facts, report, config),
            hashtags=meta.hashtags(report, config),
            target_seconds=target_seconds,
            writer=self.name,
        )
        usage.record(self.name, "write", script.word_count(), "words", 0.0)
        return script


def _relax(plan: ScenePlan) -> ScenePlan:
    """Only the first hook sentence and the call to action stay mandatory."""
    if plan.intent == "cta":
        return plan
    keep_first = plan.intent == "hook"
    relaxed = ScenePlan(plan.intent)
    first_mandatory = True
    for slot in plan.slots:
        tier = slot.tier
        if tier == 0 and not (keep_first and first_mandatory):
            tier = 1
        if slot.tier == 0:
            first_mandatory = False
        relaxed.slots.append(Slot(tier, slot.variants))
    return relaxed


def _scenes(
    plans: list[ScenePlan],
    narrations: list[str],
    points: list[list[str]],
    facts: TopicFacts,
    hook: str,
    cta: str,
) -> list[Scene]:
    """Scenes with narration (an empty one is left out), screen text and visual keywords."""
    scenes: list[Scene] = []
    for plan, text, scene_points in zip(plans, narrations, points, strict=True):
        if not text:
            continue
        index = len(scenes)
        scenes.append(
            Scene(
                index=index,
                narration=text,
                visual_intent=plan.intent,
                on_screen_text=_screen_text(plan.intent, facts, scene_points, text, hook, cta),
                keywords=meta.scene_keywords(plan.intent, index, facts),
            )
        )
    return scenes


def _screen_text(
    intent: str, facts: TopicFacts, points: list[str], narration: str, hook: str, cta: str
) -> str:
    if intent == "hook":
        return hook
    if intent == "cta":
        return cta
    return meta.scene_screen_text(intent, facts, points, narration)


def _seed(report: TrendReport, config: ThemeConfig) -> int:
    key = f"{report.chosen_topic.label}|{config.config.theme}|{config.config.style}"
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
