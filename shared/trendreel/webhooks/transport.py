"""An httpx transport that connects only to addresses already checked (``urls.check_url``).

The webhook URL's host is resolved once, checked, and the connection goes to those addresses,
while TLS still verifies the certificate for the host name (httpcore hands the URL's host to
``start_tls`` as the server name, whatever address the socket reached). A DNS answer that
changes after the check (rebinding to 169.254.169.254, say) is therefore never connected to.
The receiver's answer is read up to ``MAX_RESPONSE_BYTES``: only its status matters, and a
receiver must not be able to make a delivery buffer gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import httpcore
import httpx
from httpcore import NetworkBackend, NetworkStream, SyncBackend

MAX_RESPONSE_BYTES = 64 * 1024


class _PinnedBackend(NetworkBackend):
    def __init__(self, addresses: Sequence[str]) -> None:
        self._addresses = tuple(addresses)
        self._inner = SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> NetworkStream:
        last: Exception = httpcore.ConnectError(f"no checked address for {host}")
        for address in self._addresses:
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, list(socket_options or [])
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> NetworkStream:
        raise httpcore.ConnectError("webhooks never connect to unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _CappedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    def __iter__(self) -> Iterator[bytes]:
        left = self._limit
        for chunk in self._inner:
            yield chunk[:left]
            left -= len(chunk)
            if left <= 0:
                return  # the rest is dropped with the connection

    def close(self) -> None:
        self._inner.close()


class PinnedTransport(httpx.HTTPTransport):
    """HTTP(S) to the checked ``addresses`` only; no proxies from the environment."""

    def __init__(self, addresses: Sequence[str], *, max_response_bytes: int = MAX_RESPONSE_BYTES):
        super().__init__(trust_env=False)
        self._max_response_bytes = max_response_bytes
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=1,
            network_backend=_PinnedBackend(addresses),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        stream = response.stream
        if isinstance(stream, httpx.SyncByteStream):
            response.stream = _CappedStream(stream, self._max_response_bytes)
        return response
