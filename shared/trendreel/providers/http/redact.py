"""Secret redaction for everything the outbound-call policy says: messages, log lines, errors.

Three kinds of secret are scrubbed, because services echo requests back in their error bodies
(a 400 that quotes the URL, key and all):

- every value the client was told is secret (``secrets=``), plus the values of the sensitive
  headers and query parameters of the request at hand, verbatim and URL-encoded;
- the value of any credential-carrying query parameter (``key=``, ``access_token=`` ...) or JSON
  member (``"refresh_token": "..."``) that appears in text, whoever's it is;
- bearer tokens (``Bearer ...``).

Redact before truncating: a secret cut in half by a length limit no longer matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

MASK = "***"
#: Shorter values are not treated as secrets: scrubbing "a" or "12" would shred every message.
MIN_SECRET_LENGTH = 6
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-goog-api-key",
        "x-api-key",
        "api-key",
        "cookie",
        "set-cookie",
    }
)
SENSITIVE_PARAMS = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "access_token",
        "token",
        "refresh_token",
        "client_secret",
        "id_token",
        "x-goog-signature",
        "upload_id",  # a YouTube resumable session: whoever holds the URI can write to it
        "upload_token",  # TikTok's upload URL
    }
)
_NAMES = "|".join(sorted((re.escape(p) for p in SENSITIVE_PARAMS), key=len, reverse=True))
_QUERY_VALUE = re.compile(rf"(?i)(?<![\w-])({_NAMES})=[^&\s\"'<>]+")
_JSON_VALUE = re.compile(rf"(?i)(\"(?:{_NAMES})\"\s*:\s*\")[^\"]*\"")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[\w.~+/=-]+")

Secret = str | SecretStr


class Redactor:
    """Scrubs text of secrets. Its repr, and vars(), never show them (kept as SecretStr)."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        values = {_plain(s) for s in secrets}
        self._secrets = tuple(SecretStr(v) for v in sorted(values, key=len, reverse=True) if v)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    def with_secrets(self, more: Iterable[Secret]) -> Redactor:
        extra = [s for s in (_plain(m) for m in more) if s]
        if not extra:
            return self
        return Redactor([*self._secrets, *extra])

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            value = secret.get_secret_value()
            forms = (value, quote(value, safe=""), quote(value), quote_plus(value))
            for form in dict.fromkeys(forms):
                text = text.replace(form, MASK)
        text = _QUERY_VALUE.sub(rf"\1={MASK}", text)
        text = _JSON_VALUE.sub(rf'\1{MASK}"', text)
        return _BEARER.sub(rf"\1 {MASK}", text)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The headers as they may be logged: sensitive ones masked, the others scrubbed."""
        return {
            name: MASK if name.lower() in SENSITIVE_HEADERS else self(value)
            for name, value in headers.items()
        }


def secrets_in(headers: Any = None, params: Any = None, form: Any = None) -> list[str]:
    """The credential values a request carries in its sensitive headers, query parameters and
    form fields (``Bearer`` and ``Basic`` schemes: the credential itself as well as the whole
    value)."""
    found: list[str] = []
    for name, value in _pairs(headers):
        if name.lower() in SENSITIVE_HEADERS:
            found.append(value)
            scheme, _, credential = value.partition(" ")
            if credential.strip() and scheme.isalpha():
                found.append(credential.strip())
    fields = [*_pairs(params), *_pairs(form)]
    found += [value for name, value in fields if name.lower() in SENSITIVE_PARAMS]
    return [value for value in found if len(value) >= MIN_SECRET_LENGTH]


def _plain(secret: Secret) -> str:
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return value if len(value) >= MIN_SECRET_LENGTH else ""


def _pairs(items: Any) -> list[tuple[str, str]]:
    """(name, value) pairs of a headers or params argument as httpx accepts them."""
    if items is None or isinstance(items, str | bytes):
        return []
    pairs = items.multi_items() if hasattr(items, "multi_items") else None
    if pairs is None:
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
    return [(_text(name), _text(value)) for name, value in pairs if not isinstance(value, list)]


def _text(value: object) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
