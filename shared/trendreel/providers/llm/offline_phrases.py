"""Phrase banks by style for the hook, the audience call-out and the call to action.

Templates are ``str.format`` strings over the writer's facts (``topic``, ``velocity``,
``platforms``, ``n_things``, ``audience`` …); a template is only used when every field it names
is known. Each sentence is sentence-cased after formatting, so templates may start with a field.
The style decides the wording; ``hot`` and ``hot2`` are two different verb phrases of the style
for "is trending".
"""

from __future__ import annotations

Bank = dict[str, tuple[str, ...]]

HOT: Bank = {
    "energetic": ("is blowing up", "is exploding", "is going viral"),
    "calm": ("is quietly growing", "is steadily rising", "keeps growing"),
    "informative": ("is rising fast", "is gaining real traction", "is climbing the charts"),
    "playful": ("is having a moment", "is stealing the show", "is suddenly everywhere"),
    "dramatic": ("is taking over", "is spreading like wildfire", "is unstoppable"),
}

HOOKS: dict[str, Bank] = {
    "energetic": {
        "question": (
            "Why is everyone talking about {topic} right now?",
            "Have you seen how fast {topic} {hot}?",
        ),
        "bold claim": (
            "The {topic} trend {hot} right now!",
            "{topic} is the trend of the week, and here is why!",
        ),
        "stat shock": (
            "{velocity} reactions every hour. That is {topic} right now!",
            "Wait. {topic} videos are pulling {velocity} reactions an hour!",
        ),
        "countdown": (
            "{n_things} things you need to know about {topic}, fast!",
            "Here are {n_things} things to know about {topic}!",
        ),
    },
    "calm": {
        "question": (
            "Have you noticed {topic} quietly filling your feed?",
            "Ever wondered why {topic} keeps coming up lately?",
        ),
        "bold claim": (
            "The {topic} trend {hot}, and it is worth a closer look.",
            "Let's take a calm look at the {topic} trend.",
        ),
        "stat shock": (
            "Here is a number worth a pause: {velocity} reactions an hour for {topic}.",
            "{topic} is drawing about {velocity} reactions an hour.",
        ),
        "countdown": (
            "Let's walk through {n_things} things about the {topic} trend.",
            "{n_things} simple takeaways from the {topic} trend.",
        ),
    },
    "informative": {
        "question": (
            "What is behind the sudden rise of {topic}?",
            "Why is {topic} trending on {platforms}?",
        ),
        "bold claim": (
            "The data is clear: {topic} {hot}.",
            "Here is what the numbers say about {topic}.",
        ),
        "stat shock": (
            "{topic} is generating about {velocity} reactions per hour.",
            "One number sums it up: {velocity} reactions an hour for {topic}.",
        ),
        "countdown": (
            "Here are {n_things} things to know about the {topic} trend.",
            "{n_things} key takeaways from the {topic} trend.",
        ),
    },
    "playful": {
        "question": (
            "Is it just me, or is {topic} everywhere?",
            "Okay, who else has {topic} all over their feed?",
        ),
        "bold claim": (
            "Plot twist: {topic} {hot}!",
            "Your feed called. It is all {topic} now.",
        ),
        "stat shock": (
            "{velocity} reactions an hour? For {topic}? Yep.",
            "Hold onto your phone: {topic} is pulling {velocity} reactions an hour.",
        ),
        "countdown": (
            "{n_things} fun things about the {topic} craze, ready?",
            "Okay, {n_things} quick things about {topic}. Go!",
        ),
    },
    "dramatic": {
        "question": (
            "What if {topic} is the biggest trend you are not watching?",
            "Why can't anyone stop talking about {topic}?",
        ),
        "bold claim": (
            "{topic} {hot}. And nobody saw it coming.",
            "This is the moment {topic} took over.",
        ),
        "stat shock": (
            "{velocity} reactions. Every single hour. This is {topic}.",
            "The numbers are staggering: {velocity} reactions an hour for {topic}.",
        ),
        "countdown": (
            "{n_things} truths about {topic} nobody tells you.",
            "{n_things} things about {topic} you cannot ignore.",
        ),
    },
}

#: The hook line when every line of the bank would promise a count the script does not keep
#: (a topic named "top 10 …"): it leaves the topic out.
HOOK_FALLBACK = "Here is a trend that {hot}."

#: Long form first, short form (noun phrase only) second, for tight budgets.
AUDIENCE: Bank = {
    "energetic": ("This one is for {audience}!", "Calling all {audience_short}!"),
    "calm": ("This is for {audience}.", "This is for {audience_short}."),
    "informative": ("This breakdown is for {audience}.", "Useful for {audience_short}."),
    "playful": ("Hey {audience_short}, this one is for you!", "Hi, {audience_short}!"),
    "dramatic": ("If you are one of the {audience}, pay attention.", "{audience_short}, listen."),
}

CTA_FALLBACK = "Follow for more trends like this."

CTA_CLOSERS: Bank = {
    "energetic": ("Follow for more and go make something!", "Hit follow and ride the next wave!"),
    "calm": ("Follow along for more, at your own pace.", "Save this for later."),
    "informative": ("Follow for more trend breakdowns.", "Save this and share it with your team."),
    "playful": ("Follow for more, we promise it is fun!", "Tap follow, you know you want to!"),
    "dramatic": ("Follow now, before the next wave hits.", "Do not miss the next one."),
}

#: Extra closing line per tone word found in ``config.tone``.
TONE_CLOSERS = {
    "friendly": "You've got this.",
    "warm": "We are cheering for you.",
    "funny": "No pressure. Okay, a little pressure.",
    "professional": "Thank you for watching.",
}

TITLES: Bank = {
    "energetic": ("{topic_title} is blowing up: here is why", "Why {topic_title} is everywhere"),
    "calm": ("A calm look at the {topic_title} trend", "Understanding the {topic_title} trend"),
    "informative": ("The {topic_title} trend, explained", "{topic_title}: what the data says"),
    "playful": ("Everyone is obsessed with {topic_title}", "{topic_title}, but make it quick"),
    "dramatic": ("{topic_title} is taking over", "The rise of {topic_title}"),
}

#: On-screen hook candidates per hook style, best first: the writer shows the first one that
#: fits 40 characters and whose words the spoken hook says, else the topic alone. Countdown
#: candidates cover every noun the countdown hooks above promise.
SCREEN_HOOKS: Bank = {
    "question": (
        "Why is {topic_title} everywhere?",
        "{topic_title}: why now?",
        "Why is {topic_title} trending?",
        "{topic_title}: what is behind it?",
        "{topic_title} on your feed?",
        "{topic_title}?",
    ),
    "bold claim": (
        "{topic_title} {hot}",
        "{topic_title}: trend of the week",
        "{topic_title} by the numbers",
        "{topic_title} took over",
        "The {topic_title} trend",
    ),
    "stat shock": ("{velocity_short} reactions an hour",),
    "countdown": (
        "{n_digits} things about {topic_title}",
        "{n_digits} takeaways: {topic_title}",
        "{n_digits} truths about {topic_title}",
    ),
}

#: Said before the hook line when the budget has room.
OPENERS: Bank = {
    "energetic": ("Stop scrolling!", "Okay, this is big!"),
    "calm": ("Take a breath.", "Here is a quiet one."),
    "informative": ("Quick briefing.", "Here is today's trend report."),
    "playful": ("Okay, listen.", "Psst."),
    "dramatic": ("Stop. Look at this.", "It has begun."),
}

#: Call to action without a tagline, by style; ``{product}`` only.
CTA_PRODUCT: Bank = {
    "energetic": ("Try {product} today!", "Get {product} now!"),
    "calm": ("Give {product} a try when you are ready.", "Try {product}."),
    "informative": ("Learn more about {product}.", "Check out {product}."),
    "playful": ("Go play with {product}!", "Try {product}, it is fun!"),
    "dramatic": ("{product} is ready when you are.", "{product} is waiting."),
}
