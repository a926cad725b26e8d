"""Loaded by Python at start-up in a function process behind the Cloud Run edge when this folder
is on PYTHONPATH (``tests.support.cloud_run.internet.PublicInternet.env``): the public
internet's DNS, routing and certificate authorities for the names published there, read once
from the JSON file named by EDGE_PUBLIC_INTERNET. Without that variable it does nothing.

- ``socket.getaddrinfo(name, port)`` answers a published name with its public address, as a
  public resolver would;
- ``socket.getaddrinfo(address, 443)`` for that address answers the front's 127.0.0.1 port, so
  ``socket.create_connection`` (httpcore's, the stdlib's) lands there: the route to the host;
- ``certifi.where()`` names certifi's bundle plus the test authority, as the system's trust
  store would hold a public CA.

Every other lookup passes through unchanged. Nothing of trendreel is imported or replaced.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

ENV = "EDGE_PUBLIC_INTERNET"


def _port(port: bytes | str | int | None) -> int:
    text = port.decode() if isinstance(port, bytes) else str(port or 0)
    return int(text) if text.isdigit() else 0


def _install(config: dict[str, Any]) -> None:
    names = {str(name).lower(): str(address) for name, address in config["names"].items()}
    routes = {(str(a), int(p)): (str(h), int(q)) for a, p, h, q in config["routes"]}
    system = socket.getaddrinfo

    def getaddrinfo(
        host: bytes | str | None,
        port: bytes | str | int | None,
        family: int = 0,
        type: int = 0,  # socket.getaddrinfo's own parameter names: callers pass them by name
        proto: int = 0,
        flags: int = 0,
    ) -> Any:
        text = host.decode() if isinstance(host, bytes) else (host or "")
        key = text.lower().rstrip(".")
        if key in names:
            stream = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
            return [(*stream, (names[key], _port(port)))]
        route = routes.get((key, _port(port)))
        if route is not None:
            return system(route[0], route[1], family, type, proto, flags)
        return system(host, port, family, type, proto, flags)

    socket.getaddrinfo = getaddrinfo

    import certifi

    bundle = str(config["ca_bundle"])

    def where() -> str:
        return bundle

    certifi.where = where


_path = os.environ.get(ENV)
if _path:
    _install(json.loads(Path(_path).read_text(encoding="utf-8")))
