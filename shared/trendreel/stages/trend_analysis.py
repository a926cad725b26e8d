"""Stage 2: turn the collected items into a trend report and choose this video's topic.

The analyzer proposes a topic that fits the theme; the stage then reads the topics that recent
jobs on the same theme chose (``ctx.topics``), with how their videos did once published. A topic
like one whose video did well on the channel is preferred (``channel_results``); then the
analyzer's next preference is taken when the choice was used within ``topic_repeat_days`` and
has not grown ``topic_regrowth_factor`` times since. The chosen topic's record goes in the
result's summary, and the runner keeps it on the job for the jobs after it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from trendreel.models import JobSpec, Stage, StageResult, TrendCollection
from trendreel.models.trends import TOPIC_SUMMARY_KEY, UsedTopic
from trendreel.providers.llm.channel_results import favour_results
from trendreel.providers.llm.topic_reason import ident
from trendreel.providers.llm.topic_repeats import RepeatPolicy, avoid_repeats, record_of
from trendreel.stages import keys, trend_collection
from trendreel.stages.common import finish
from trendreel.stages.context import StageContext, get_model, key, put_model

STAGE = Stage.TREND_ANALYSIS
OUTPUT = keys.REPORT
#: Past topics read per job: three runs a day for a fortnight, with room to spare.
HISTORY_LIMIT = 50
#: How far back the channel's results count (repeats use their own, shorter window).
RESULTS_DAYS = 30.0


def run(job: JobSpec, ctx: StageContext) -> StageResult:
    started = time.perf_counter()
    collection = get_model(
        ctx.blobs, key(job.job_id, trend_collection.STAGE, trend_collection.OUTPUT), TrendCollection
    )
    ctx.progress(0.1, f"analysing {len(collection.items)} items with {ctx.providers.analyzer.name}")
    now = ctx.clock()
    proposed = ctx.providers.analyzer.analyze(collection, job.config, now, ctx.usage)
    policy = RepeatPolicy(ctx.settings.topic_repeat_days, ctx.settings.topic_regrowth_factor)
    items = {ident(i): i for i in collection.items}
    theme = job.config.config.theme
    history = _history(job, ctx, policy, now)
    favoured = favour_results(proposed, theme, items, history)
    recent = [u for u in history if u.topic.chosen_at >= now - timedelta(days=policy.days)]
    report, skipped = avoid_repeats(favoured, theme, items, recent, policy)
    out = put_model(ctx.blobs, key(job.job_id, STAGE, OUTPUT), report)
    summary: dict[str, object] = {
        "chosen_topic": report.chosen_topic.label,
        "reason": report.chosen_topic.reason,
        "clusters": len(report.clusters),
        "skipped_topics": [use.label for use in skipped],
        TOPIC_SUMMARY_KEY: record_of(report.chosen_topic, report, items, now).model_dump(
            mode="json"
        ),
    }
    return finish(STAGE, ctx, started, {"report": out}, summary)


def _history(
    job: JobSpec, ctx: StageContext, policy: RepeatPolicy, now: datetime
) -> list[UsedTopic]:
    """Topics recent jobs on this theme chose, newest first (this job's own never counts)."""
    since = now - timedelta(days=max(policy.days, RESULTS_DAYS))
    theme = job.config.config.theme
    used = ctx.topics.recent_topics(theme, since=since, limit=HISTORY_LIMIT)
    return [u for u in used if u.job_id != job.job_id]
