"""The public internet, as the functions behind the edge reach it: a host name that resolves to
a public address, that address routed to a server on 127.0.0.1, and a certificate for the name
from a certificate authority the functions trust.

    with PublicInternet() as internet:
        url = internet.publish("hooks.example.com", receiver.url)  # https://hooks.example.com/…
        edge = CloudRunEdge(spec, google, platform_env={**env, **internet.env()})

Why a test deployment needs it: on Cloud Run a function's egress is the internet, and trendreel
relies on that. On backend gcp it POSTs webhooks only to https:// URLs whose host resolves to
public addresses (the SSRF rules of ``trendreel.webhooks.urls``), connects to exactly those
addresses and verifies the receiver's certificate against the public certificate authorities
(certifi's bundle; ``trendreel.webhooks.transport`` ignores SSL_CERT_FILE and proxies on
purpose). A receiver on this machine, at http://127.0.0.1, is none of that, and must not be.
So the test stands in for the internet instead of bending trendreel's rules.

What a function process gets (``env()``): ``internet_site/`` on PYTHONPATH, whose
sitecustomize reads the JSON file named by ``EDGE_PUBLIC_INTERNET`` when Python starts:

- DNS: each published name resolves to a public address of its own (``socket.getaddrinfo``
  answers it, as a public resolver would);
- routing: a connection to that address on port 443 lands on this module's HTTPS front for it,
  on 127.0.0.1, which relays each request to the server behind it (Host and every end-to-end
  header unchanged);
- PKI: ``certifi.where()`` names certifi's bundle plus this module's certificate authority,
  which signed the front's certificate for the published name.

Every other lookup, connection and certificate check is left as it is, and trendreel's code is
not touched: the emulators, the identity double and the platform doubles are reached as before.
Names must be published before the processes start (they read the file once).
"""

from __future__ import annotations

import http.client
import json
import shutil
import ssl
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.cloud_run.processes import HOST

ENV: Final = "EDGE_PUBLIC_INTERNET"
SITE: Final = Path(__file__).with_name("internet_site")
# Globally routable addresses (ipaddress: is_global), one per published name. 93.184.216.0/24
# held example.com's address for years; nothing here ever leaves the machine.
PUBLIC_ADDRESSES: Final = tuple(f"93.184.216.{n}" for n in range(34, 64))
HTTPS_PORT: Final = 443
# Hop-by-hop headers (RFC 9110 section 7.6.1) are the front's own; the rest pass unchanged.
_HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
     "upgrade"}
)  # fmt: skip


class CertificateAuthority:
    """A root CA of its own, issuing server certificates for host names (P-256, a day long)."""

    def __init__(self, name: str = "trendreel tests public root") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        public = self._key.public_key()
        self.certificate = (
            _builder(subject, subject, public)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self._key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(self, host: str, folder: Path) -> tuple[Path, Path]:
        """(certificate chain, key) files of a server certificate for ``host``."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
        issuer_key = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        leaf = (
            _builder(subject, self.certificate.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_key.value),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        chain, key_file = folder / f"{host}.pem", folder / f"{host}.key"
        chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + self.pem)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_file.chmod(0o600)
        return chain, key_file


def _builder(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


class HttpsFront:
    """An HTTPS server on 127.0.0.1 with a certificate for the published name, relaying each
    request to ``upstream`` (http://127.0.0.1:PORT) and its answer back."""

    def __init__(self, upstream: str, chain: Path, key: Path) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname != HOST or parts.port is None:
            raise ValueError(f"the server behind a published name is http://{HOST}:PORT")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key)
        self._server = ThreadingHTTPServer((HOST, 0), _relay(HOST, parts.port))
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HttpsFront:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


def _relay(host: str, port: int) -> type[BaseHTTPRequestHandler]:
    class Relay(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            upstream = http.client.HTTPConnection(host, port, timeout=60)
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
            finally:
                upstream.close()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in _HOP_BY_HOP | {"content-length", "date", "server"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self._forward()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Relay


class PublicInternet:
    """Published names, their fronts, and the configuration the function processes read."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="trendreel-internet-"))
        self.authority = CertificateAuthority()
        self.addresses: dict[str, str] = {}  # name -> its public address
        self._fronts: dict[str, HttpsFront] = {}
        bundle = Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n" + self.authority.pem
        self.ca_bundle = self.dir / "ca-bundle.pem"
        self.ca_bundle.write_bytes(bundle)
        self._write()

    def publish(self, host: str, upstream: str) -> str:
        """Put the server at ``upstream`` (http://127.0.0.1:PORT/path) on the internet as
        ``host``; the https:// URL it is reached at there (same path and query)."""
        host = host.lower()
        if host in self.addresses or len(self.addresses) == len(PUBLIC_ADDRESSES):
            raise ValueError(f"cannot publish {host} (published already, or no address left)")
        chain, key = self.authority.issue(host, self.dir)
        self._fronts[host] = HttpsFront(upstream, chain, key).start()
        self.addresses[host] = PUBLIC_ADDRESSES[len(self.addresses)]
        self._write()
        parts = urlsplit(upstream)
        return parts._replace(scheme="https", netloc=host).geturl()

    def env(self) -> dict[str, str]:
        """What a function process needs to live on this internet."""
        return {"PYTHONPATH": str(SITE), ENV: str(self.dir / "internet.json")}

    def _write(self) -> None:
        routes = [
            [self.addresses[host], HTTPS_PORT, HOST, front.port]
            for host, front in self._fronts.items()
        ]
        config = {"names": self.addresses, "routes": routes, "ca_bundle": str(self.ca_bundle)}
        (self.dir / "internet.json").write_text(json.dumps(config, indent=2), encoding="utf-8")

    def stop(self) -> None:
        for front in self._fronts.values():
            front.stop()
        self._fronts.clear()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PublicInternet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
