"""Who may reach the service: ingress, then the invoker check (when
``not spec.invoker_iam_disabled``), and the credential as the instance then receives it.

Statuses (https://cloud.google.com/run/docs/troubleshooting): "Client is not authenticated
properly: HTTP 401: The request was not authorized to invoke this service" for a token with the
wrong ``aud``, an invalid format, no valid signature, several JWTs or several authorization
headers; "Client is not authorized to invoke the service: HTTP 403" for "Calls missing an auth
token" and for a principal without ``run.routes.invoke`` (roles/run.invoker). Expired tokens are
not listed there: an expired token is not a valid one, so 401 here. The pages answered are in
``answers``."""

from __future__ import annotations

from collections.abc import Mapping

from tests.support.cloud_run.answers import RejectError
from tests.support.cloud_run.headers import RequestHeaders
from tests.support.cloud_run.identity import GoogleIdentity, InvalidIdTokenError
from tests.support.cloud_run.spec import ServiceSpec

INGRESS_ALL = "INGRESS_TRAFFIC_ALL"
SIGNATURE_REMOVED = "SIGNATURE_REMOVED_BY_GOOGLE"


def admit(
    spec: ServiceSpec, identity: GoogleIdentity, headers: Mapping[str, str], *, external: bool
) -> None:
    """Ingress and invoker check; raises ``RejectError`` with the status to answer.

    Ingress (https://cloud.google.com/run/docs/securing/ingress): "Internal ... Requests from
    other sources, including the internet, cannot reach your service at the run.app URL", and
    https://cloud.google.com/run/docs/troubleshooting#404: such a request "doesn't reach the
    container, leading to a 404 error" when ingress is Internal or Internal and Cloud Load
    Balancing. So INGRESS_TRAFFIC_ALL admits both ports; the other two settings answer 404 on
    the external port without forwarding (load balancers are not modelled)."""
    if external and spec.ingress != INGRESS_ALL:
        raise RejectError(404)
    if not spec.invoker_iam_disabled:
        _, token = credential(headers)
        check_invoker(spec, identity, token)


def check_invoker(spec: ServiceSpec, identity: GoogleIdentity, token: str) -> None:
    """401 unless ``token`` is an authentic, current ID token whose ``aud`` is the service URL
    with or without its trailing slash (custom audiences are not modelled); 403 unless its
    ``email`` holds roles/run.invoker on the service."""
    try:
        claims = identity.verify(token, audiences=[spec.url])
    except InvalidIdTokenError:
        raise RejectError(401) from None
    email = claims.get("email")
    if not isinstance(email, str) or email.lower() not in spec.invoker_emails:
        raise RejectError(403)


def credential(headers: Mapping[str, str]) -> tuple[str, str]:
    """(the header Cloud Run checks, its bearer token); raises RejectError(401 or 403).

    Which header: https://cloud.google.com/run/docs/authenticating/service-to-service "by
    using an Authorization: Bearer ID_TOKEN header or an X-Serverless-Authorization: Bearer
    ID_TOKEN header ... If both headers are provided, only the X-Serverless-Authorization
    header is checked." The other header reaches the container untouched."""
    lowered = headers if isinstance(headers, RequestHeaders) else RequestHeaders(headers.items())
    name = "x-serverless-authorization" if "x-serverless-authorization" in lowered else ""
    name = name or ("authorization" if "authorization" in lowered else "")
    if not name:
        raise RejectError(403)  # "Calls missing an auth token"
    if isinstance(lowered, RequestHeaders) and lowered.counts.get(name, 1) > 1:
        raise RejectError(401)  # "Multiple authorization headers are present in the request"
    scheme, _, token = lowered[name].strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or "," in token:
        raise RejectError(401)  # "The authorization token uses an invalid format"
    return name, token


def signature_removed(
    received: list[tuple[str, str]], headers: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """``headers`` with the checked header (as ``credential`` picks it from ``received``)
    arriving as ``Bearer HEADER.PAYLOAD.SIGNATURE_REMOVED_BY_GOOGLE``:
    https://cloud.google.com/run/docs/authenticating/service-to-service "Cloud Run removes the
    token signature before passing the token to the user container", and
    troubleshooting#signature-removed (SIGNATURE_REMOVED_BY_GOOGLE)."""
    checked, _ = credential(dict(received))
    return [(k, _strip_signature(v) if k.lower() == checked else v) for k, v in headers]


def _strip_signature(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    header, payload, _ = token.strip().split(".", 2)
    return f"{scheme} {header}.{payload}.{SIGNATURE_REMOVED}"
