"""The policy as an httpx transport, for SDKs that build their own requests (google-genai).

An SDK given ``httpx.Client(transport=PolicyTransport(service_client))`` keeps its request and
response encoding, while every request it sends goes through ``ServiceClient.send``: our
timeouts, retries, status mapping and redaction. The SDK only ever sees successes; a failure
reaches the caller as the ProviderError the policy raised, through the SDK untouched (switch
the SDK's own retries off, or there are two budgets).
"""

from __future__ import annotations

import httpx

from trendreel.providers.http.client import ServiceClient

#: The answer is handed on decoded and whole, so these no longer describe it.
_STALE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class PolicyTransport(httpx.BaseTransport):
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # The policy owns timeouts: connect and read as configured, whatever the SDK asked.
        request.extensions = {**request.extensions, "timeout": self._client.timeout.as_dict()}
        answer = self._client.send(request)
        headers = [(k, v) for k, v in answer.headers.multi_items() if k not in _STALE_HEADERS]
        return httpx.Response(answer.status_code, headers=headers, content=answer.content)

    def close(self) -> None:
        self._client.close()
