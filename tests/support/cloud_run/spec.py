"""What infra/ deploys, resolved for one deployment: the shape ``infra.resolve`` returns and the
edge and the scheduler driver consume. Plain data; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceSpec:
    """One Cloud Run service as infra/ configures it."""

    name: str  # the function: its folder under functions/ (api, composition, sweeper, ...)
    service_name: str  # the Cloud Run service name, e.g. trendreel-content-generation
    url: str  # its URL: the audience its callers' ID tokens carry
    env: dict[str, str]  # exactly the plain environment variables Terraform sets
    ingress: str  # INGRESS_TRAFFIC_ALL | INGRESS_TRAFFIC_INTERNAL_ONLY | ..._LOAD_BALANCER
    invoker_iam_disabled: bool  # False: Cloud Run checks roles/run.invoker on every request
    invokers: tuple[str, ...]  # IAM members holding roles/run.invoker, e.g. serviceAccount:x@y
    timeout_seconds: int  # request timeout: past it the caller gets 504
    concurrency: int  # max_instance_request_concurrency
    max_instances: int
    min_instances: int = 0
    cpu: str = "1"
    memory: str = "512Mi"
    secret_env: tuple[str, ...] = ()  # names set from Secret Manager (values never known here)

    @property
    def invoker_emails(self) -> frozenset[str]:
        """The identities (serviceAccount:/user: members) that may invoke, by email."""
        emails = set()
        for member in self.invokers:
            kind, _, email = member.partition(":")
            if kind in ("serviceAccount", "user") and email:
                emails.add(email.lower())
        return frozenset(emails)


@dataclass(frozen=True)
class ScheduleSpec:
    """One Cloud Scheduler job with an HTTP target and an OIDC token."""

    name: str  # the Cloud Scheduler job name, e.g. trendreel-generate
    schedule: str  # cron
    time_zone: str
    target: str  # the function it calls
    uri: str  # the full URL it POSTs to
    http_method: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    oidc_service_account: str = ""  # whose ID token it sends
    oidc_audience: str = ""
    attempt_deadline_seconds: int = 180
    retry_count: int = 0


@dataclass(frozen=True)
class Infra:
    """Every service and schedule of one deployment."""

    project: str
    region: str
    services: dict[str, ServiceSpec]
    schedules: dict[str, ScheduleSpec]
    queue_names: dict[str, str]  # function (a stage, publish, webhooks) -> Cloud Tasks queue id
    service_accounts: dict[str, str]  # identity name -> email
    task_max_attempts: int
