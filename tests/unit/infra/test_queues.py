"""infra/tasks.tf and the grants on its queues, parsed with python-hcl2 and held to the code:
one queue per function Cloud Tasks delivers to (trendreel.tasks.TASK_FUNCTIONS), each with an
explicit retry policy whose last attempt is the one its function records the failure on, the
retry arithmetic the comments quote, rate limits the services and the platforms can take, and
who may enqueue where (test_iam.py has terraform evaluate those grants)."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from tests.support.cloud_run.infra import Context, resolve
from tests.support.cloud_run.spec import Infra
from tests.unit.infra.conftest import DEFAULT
from tests.unit.infra.hcl import (
    Terraform,
    block,
    comprehension_template,
    for_each_keys,
    inner,
    parsed,
    render,
)
from trendreel import tasks
from trendreel.providers.publish.tiktok_limits import LIMITS_PER_MINUTE
from trendreel.settings import Settings

MAX_PREFIX = "a" * 11  # the longest name_prefix variables.tf allows

QUEUE_KNOBS = ("max_attempts", "min_backoff", "max_backoff", "max_doublings")


def _queues(tf: Terraform) -> dict[str, dict[str, Any]]:
    """Every function Cloud Tasks delivers to -> the queue resource that serves it."""
    stage = tf.resource("google_cloud_tasks_queue", "stage")
    found = {name: stage for name in for_each_keys(tf, stage)}
    for name, body in tf.typed("google_cloud_tasks_queue"):
        if name != "stage":
            assert body["name"] == f'${{local.queue_names["{name}"]}}', name
            found[name] = body
    return found


def test_every_task_function_has_a_queue_with_an_explicit_retry_policy(tf: Terraform) -> None:
    queues = _queues(tf)
    assert sorted(queues) == sorted(tasks.TASK_FUNCTIONS)
    assert tf.local("queues") == parsed(
        "merge(google_cloud_tasks_queue.stage, {publish = google_cloud_tasks_queue.publish,"
        " webhooks = google_cloud_tasks_queue.webhooks})"
    )
    for name, queue in queues.items():
        retry = block(queue, "retry_config")
        for knob in QUEUE_KNOBS:
            assert retry.get(knob) not in (None, ""), f"{name}: retry_config.{knob} is not set"
        assert "max_retry_duration" not in retry, name  # the attempt count alone decides
        limits = block(queue, "rate_limits")
        for knob in ("max_dispatches_per_second", "max_concurrent_dispatches"):
            assert limits.get(knob) not in (None, ""), f"{name}: rate_limits.{knob} is not set"
        # No more in flight than the function's service can run at once.
        key = "each.key" if queue is queues["trend_collection"] else f'"{name}"'
        assert limits["max_concurrent_dispatches"] == (
            f"${{local.services[{key}].max_instances * local.services[{key}].concurrency}}"
        ), name
        assert block(queue, "stackdriver_logging_config")["sampling_ratio"] == 1.0, name


def test_each_queue_and_its_function_agree_on_the_last_attempt(
    tf: Terraform, spec: dict[str, Any], infra: Infra
) -> None:
    """The runner, the publish runner and the webhook delivery each record the failure on
    attempt TRENDREEL_TASK_MAX_ATTEMPTS of their own environment: it must be their queue's
    max_attempts, for the defaults and for any other value."""
    assert spec["env_groups"]["common"]["TRENDREEL_TASK_MAX_ATTEMPTS"] == {
        "ref": "var.task_max_attempts"
    }
    default = tf.variables["task_max_attempts"]["default"]
    assert default == Settings.model_fields["task_max_attempts"].default
    chosen = {"task_max_attempts": 4, "webhook_max_attempts": 9}
    cases = [
        (Context.of(DEFAULT).variables, infra),
        (chosen, resolve(dataclasses.replace(DEFAULT, variables=chosen))),
    ]
    for name, queue in _queues(tf).items():
        variable = inner(block(queue, "retry_config")["max_attempts"]).removeprefix("var.")
        for values, resolved in cases:
            env = resolved.services[name].env
            assert env["TRENDREEL_TASK_MAX_ATTEMPTS"] == str(values[variable]), name
    # The others reason about the stages' attempts (the sweeper fails a stage that spent them).
    for name in ("api", "sweeper", "metrics"):
        assert infra.services[name].env["TRENDREEL_TASK_MAX_ATTEMPTS"] == str(default), name


def test_the_stage_queue_backoff_defaults_are_the_settings_defaults(tf: Terraform) -> None:
    retry = block(tf.resource("google_cloud_tasks_queue", "stage"), "retry_config")
    assert retry["min_backoff"] == "${var.queue_min_backoff_seconds}s"
    assert retry["max_backoff"] == "${var.queue_max_backoff_seconds}s"
    assert retry["max_doublings"] == "${var.queue_max_doublings}"
    for variable in (
        "queue_min_backoff_seconds",
        "queue_max_backoff_seconds",
        "queue_max_doublings",
    ):
        assert tf.variables[variable]["default"] == Settings.model_fields[variable].default


def _retry_waits(
    attempts: int, min_backoff: float, max_backoff: float, doublings: int
) -> list[float]:
    """Cloud Tasks' waits between attempts: doubling max_doublings times from min_backoff, then
    growing by min_backoff * 2^max_doublings, never past max_backoff."""
    waits: list[float] = []
    wait = float(min_backoff)
    for retry in range(attempts - 1):
        waits.append(min(wait, max_backoff))
        wait = wait * 2 if retry < doublings else wait + min_backoff * 2**doublings
    return waits


def _default(tf: Terraform, value: Any) -> Any:
    """A retry knob as the defaults make it: a literal, "30s", or a variable ("${var.x}s")."""
    text = str(value).removesuffix("s")
    if text.startswith("${var."):
        return tf.variables[inner(text).removeprefix("var.")]["default"]
    return float(text)


def _queue_waits(tf: Terraform, queue: dict[str, Any]) -> list[float]:
    retry = block(queue, "retry_config")
    knobs = [_default(tf, retry[knob]) for knob in QUEUE_KNOBS]
    return _retry_waits(int(knobs[0]), knobs[1], knobs[2], int(knobs[3]))


def test_the_retry_budget_outlasts_a_fifteen_minute_outage(tf: Terraform) -> None:
    waits = _queue_waits(tf, tf.resource("google_cloud_tasks_queue", "stage"))
    assert waits == [10, 20, 40, 80, 160, 300, 300, 300, 300]
    assert sum(waits) > 15 * 60
    # The reasoning next to the defaults quotes the same arithmetic.
    assert f"the 10th and last attempt comes {sum(waits):.0f} s" in tf.texts["variables.tf"]


def test_publish_rides_out_an_outage_and_tiktoks_rate_window(tf: Terraform) -> None:
    queue = tf.resource("google_cloud_tasks_queue", "publish")
    waits = _queue_waits(tf, queue)
    assert waits == [30, 60, 120, 240, 480, 600, 600, 600, 600]
    started = [sum(waits[:i]) for i in range(len(waits) + 1)]  # each attempt, from the first
    assert any(at > 15 * 60 for at in started[:-2])  # past the outage with attempts to spare
    # TikTok counts each limit over a one-minute sliding window: a 429 is past it within two.
    assert started[2] > 60
    assert f"the 10th and last attempt comes {sum(waits):.0f} s" in tf.texts["tasks.tf"]
    # Every dispatch might start an upload: never more than the token's video/init limit.
    rate = float(block(queue, "rate_limits")["max_dispatches_per_second"])
    assert rate * 60 <= LIMITS_PER_MINUTE["video_init"]


def test_webhooks_reach_a_receiver_that_was_down_for_a_day(tf: Terraform) -> None:
    queue = tf.resource("google_cloud_tasks_queue", "webhooks")
    waits = _queue_waits(tf, queue)
    attempts = tf.variables["webhook_max_attempts"]["default"]
    assert len(waits) == attempts - 1
    assert sum(waits) >= 24 * 3600
    assert max(waits) <= 3600  # at most an hour late once the receiver is back
    assert waits[0] <= 60  # a blip (a receiver's restart) costs a minute
    ordinal = f"{attempts}th"
    assert f"the {ordinal} and last attempt comes {sum(waits):.0f} s" in tf.texts["tasks.tf"]


def test_queue_names_are_valid_and_the_functions_get_their_prefix(
    tf: Terraform, spec: dict[str, Any], infra: Infra
) -> None:
    template = comprehension_template(tf.local("queue_names"))
    names = {render(template, MAX_PREFIX, name, "name") for name in infra.queue_names}
    assert len(names) == len(tasks.TASK_FUNCTIONS)
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9-]{1,100}", name), name  # Cloud Tasks queue id rules
    assert tf.resource("google_cloud_tasks_queue", "stage")["name"] == "${each.value}"
    assert inner(tf.local("stage_queue_names")) == (
        "{for stage in local.stages : stage => local.queue_names[stage]}"
    )
    # Every function routes each task by the whole map (tasks.tf's names, Terraform's JSON).
    assert spec["env_groups"]["common"]["TRENDREEL_QUEUE_NAMES"] == {"ref": "queue_names"}
    for service in infra.services.values():
        assert json.loads(service.env["TRENDREEL_QUEUE_NAMES"]) == infra.queue_names


def test_each_identity_may_enqueue_only_where_it_must(tf: Terraform) -> None:
    """A stage into the next stage's queue and webhooks; publish into its own and webhooks;
    the api into every queue; the sweeper into the stages' and webhooks. (test_iam.py has
    terraform evaluate the grants.)"""
    assert inner(tf.local("next_stage")) == (
        "{for i, stage in local.stages : stage => local.stages[i + 1]"
        " if i + 1 < length(local.stages)}"
    )
    assert tf.local("enqueues") == parsed(
        'merge({api = local.task_functions, sweeper = concat(local.stages, ["webhooks"]),'
        ' publish = ["publish", "webhooks"]},'
        " {for stage in local.stages : stage =>"
        ' compact([lookup(local.next_stage, stage, ""), "webhooks"])})'
    )
    assert tf.local("views") == parsed("{api = local.task_functions, sweeper = local.stages}")
    assert inner(tf.local("enqueuers")) == (
        "{for who in keys(local.enqueues) : who => local.members[who]}"
    )
    grants = tf.resource("google_cloud_tasks_queue_iam_member", "queue")
    assert inner(grants["for_each"]) == "local.queue_grants"
    assert grants["name"] == "${local.queues[each.value.queue].name}"
    acts_as = tf.resource("google_service_account_iam_member", "enqueuer_acts_as_invoker")
    assert inner(acts_as["for_each"]) == "local.enqueuers"
    assert acts_as["service_account_id"] == "${google_service_account.tasks_invoker.name}"
    assert acts_as["role"] == "roles/iam.serviceAccountUser"
