"""Phrase banks for the body scenes: facts per intent, talking-point leads, style fillers.

A body slot is ``(variants, fallback)``: variants say the same thing at different lengths (the
planner may swap one for another to land on the word budget); the fallback is used when no
variant's facts are known, and an empty fallback means the slot is skipped instead.
"""

from __future__ import annotations

SlotSpec = tuple[tuple[str, ...], str]

BODY: dict[str, list[SlotSpec]] = {
    "stat": [
        (
            (
                "Clips about {topic} are pulling in about {velocity} reactions an hour, in likes, "
                "comments and shares.",
                "{topic} videos are gaining {velocity} reactions every hour.",
            ),
            "{topic} is one of the fastest rising topics today.",
        ),
        (
            (
                "That is about {ratio} times the pace of a typical trend today.",
                "That is {ratio} times a typical trend.",
            ),
            "",
        ),
        (
            ("{count} trending posts are riding this wave right now.", "{count} posts are on it."),
            "",
        ),
        (
            (
                "Across all trends today, about {rate} in every hundred viewers like, comment or "
                "share.",
                "About {rate} in a hundred viewers react.",
            ),
            "",
        ),
        (
            (
                "A typical trending clip today has around {median_views} views.",
                "Typical trending clips get {median_views} views.",
            ),
            "",
        ),
    ],
    "explain": [
        (
            (
                "It is showing up on {platforms} at the same time.",
                "It {hot2} on {platforms}.",
                "It is all over {platform_one} right now.",
            ),
            "It is spreading from creator to creator.",
        ),
        (
            (
                "People keep coming back for {keyword} and {keyword2}.",
                "The big words are {keyword} and {keyword2}.",
            ),
            "",
        ),
        (
            (
                "When a topic jumps across {n_platforms} platforms, it is more than a lucky clip.",
                "Across {n_platforms} platforms, this is no fluke.",
            ),
            "",
        ),
    ],
    "story": [
        (
            ("The fastest clip right now: {title}.", "Top clip: {title}."),
            "Every creator seems to have a take on it.",
        ),
        (
            (
                "Creators are stitching and remixing it with their own spin.",
                "Creators keep remixing it.",
            ),
            "",
        ),
        (("Another favourite: {title2}.", "Also big: {title2}."), ""),
        (("And close behind: {title3}.", "Then: {title3}."), ""),
        (
            (
                "The comments are full of people trying it themselves.",
                "Viewers are trying it themselves.",
            ),
            "",
        ),
    ],
    "list": [
        (
            (
                "The angles to watch are {keyword}, {keyword2} and {keyword3}.",
                "Watch {keyword}, {keyword2} and {keyword3}.",
                "The angles to watch are {keyword} and {keyword2}.",
            ),
            "Watch how creators put their own spin on it.",
        ),
        (("Each angle is pulling its own crowd.", "Each one has its own crowd."), ""),
    ],
    "contrast": [
        (
            (
                "Most people just scroll past it. The smart move is to jump in while it is rising.",
                "Most people scroll past. Smart creators jump in early.",
            ),
            "",
        ),
        (
            (
                "Big is not the same as rising, and this one is still rising.",
                "This one is still rising.",
            ),
            "",
        ),
    ],
}

#: Opens the first talking point of a scene.
TP_FIRST = {
    "energetic": "Here is the big one:",
    "calm": "Here is something to keep in mind:",
    "informative": "Key point:",
    "playful": "Fun fact:",
    "dramatic": "Here is the truth:",
}

#: Opens every later talking point.
TP_NEXT: dict[str, tuple[str, ...]] = {
    "energetic": ("Plus,", "And remember,"),
    "calm": ("Also,", "Remember,"),
    "informative": ("Also,", "Note that"),
    "playful": ("Bonus:", "Oh, and"),
    "dramatic": ("And remember,", "Never forget:"),
}

#: Opens the contrast scene when it carries talking points.
PIVOT = {
    "energetic": "Here is what most people miss!",
    "calm": "Here is a quieter point.",
    "informative": "There is a second side to this.",
    "playful": "Now for the twist.",
    "dramatic": "But here is the part nobody tells you.",
}

#: Topic-independent sentences in each style's voice, used to fill the word budget.
FILLERS: dict[str, tuple[str, ...]] = {
    "energetic": (
        "Trends like this move in days, not weeks.",
        "The window is wide open right now.",
        "Do not sleep on this one.",
        "Your audience is already watching it.",
        "Every hour you wait, the feed gets more crowded.",
        "Early videos ride the wave, late ones fight it.",
        "This is exactly the kind of moment you want to catch.",
        "Save this so you do not forget it.",
        "The energy around it is unreal.",
        "Get in while it is hot.",
    ),
    "calm": (
        "There is no rush, but timing does matter.",
        "Take a moment to notice how it is spreading.",
        "Good trends grow steadily, like this one.",
        "It is worth watching how people respond.",
        "A thoughtful take often lasts longer than a loud one.",
        "Small, steady steps add up.",
        "Notice what people keep coming back to.",
        "Let the numbers guide you, gently.",
        "Quality still wins in the long run.",
        "Keep it simple and honest.",
    ),
    "informative": (
        "Rising topics reward the first wave of creators.",
        "Growth this fast usually peaks within a few days.",
        "The pattern is consistent across platforms.",
        "Engagement per hour is a better signal than total views.",
        "Cross-platform topics tend to last longer than single-app trends.",
        "Search interest usually follows social buzz.",
        "Short, clear videos perform best on rising topics.",
        "The data points in one direction.",
        "Timing explains much of the difference in reach.",
        "Consistency matters more than polish here.",
    ),
    "playful": (
        "Honestly, the internet cannot get enough.",
        "Your group chat is probably talking about it already.",
        "Yes, even your aunt has seen it.",
        "It is the main character of the feed this week.",
        "Blink and you will miss the next twist.",
        "We are not saying you have to join in, but you should.",
        "It is giving main character energy.",
        "The algorithm has clearly picked a favourite.",
        "Resistance is futile.",
        "Trust us on this one.",
    ),
    "dramatic": (
        "This is not just another trend.",
        "Moments like this do not come twice.",
        "The clock is ticking.",
        "Everything is moving faster than anyone expected.",
        "Those who wait will be left behind.",
        "The feed will never look the same.",
        "This is how movements begin.",
        "The next few days decide everything.",
        "Remember where you heard it first.",
        "History is being written in real time.",
    ),
}
