"""Gemini generateContent answers carrying a script, for tests that run a Gemini-written script
through review: one keeps the count its hook promises, one breaks it. Both are sized for a 20 s
video (about 48 words) and say every word they show."""

from __future__ import annotations

import json
from typing import Any

from tests.support.http_fixture import Scripted

MODEL = "gemini-2.5-flash"
PATH = f"/v1beta/models/{MODEL}:generateContent"
SECONDS = 20
HOOK = ("hook", "Stop scrolling: three AI tools give you back two hours a week.", "3 AI tools")
CTA = ("cta", "Follow for more tips and try one today.", "")
KEPT = [
    HOOK,
    ("list", "First, an inbox assistant drafts your replies.", "Inbox assistant"),
    ("list", "Second, a meeting recorder writes your notes.", "Meeting recorder"),
    ("list", "Third, a writing helper cleans up rough drafts.", "Writing helper"),
    CTA,
]
BROKEN = [
    HOOK,
    ("stat", "Creators using them save two hours every week.", "Two hours a week"),
    ("list", "First, an inbox assistant drafts your replies.", "Inbox assistant"),
    ("explain", "Meeting recorders are all over desk setup videos.", "Meeting recorders"),
    CTA,
]
BROKEN_MESSAGE = "scene 0 promises 3 tools, the script gives 1 (scene 2)"


def script_answer(scenes: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "title": "3 AI tools that save hours",
        "hook": "3 AI tools, 2 hours back",
        "scenes": [
            {
                "narration": narration,
                "visual_intent": intent,
                "on_screen_text": screen,
                "keywords": ["laptop", "office"],
            }
            for intent, narration, screen in scenes
        ],
        "call_to_action": "Follow for more tips",
        "description": "Three AI tools that give you hours back.",
        "hashtags": ["#aitools", "productivity"],
    }


def reply(scenes: list[tuple[str, str, str]]) -> Scripted:
    """A generateContent response whose answer is the script made of ``scenes``."""
    candidate = {
        "content": {"parts": [{"text": json.dumps(script_answer(scenes))}], "role": "model"},
        "finishReason": "STOP",
        "index": 0,
    }
    usage = {"promptTokenCount": 1200, "candidatesTokenCount": 300, "totalTokenCount": 1500}
    return Scripted.json({"candidates": [candidate], "usageMetadata": usage, "modelVersion": MODEL})
