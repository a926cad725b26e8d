"""Every provider calls out through the one outbound-call policy, and the policy never lets a
secret out.

- Each real provider, given a service that answers 503 twice and then properly, makes exactly
  three requests and waits the policy's backoff between them (no private retry loop, no second
  budget: the Gemini SDK's own retries are off).
- No module that calls out builds its own HTTP client, sleeps, parses Retry-After or imports a
  retry library (read from the source, so a new provider is checked the day it is written).
- Whatever a service echoes back (Google error bodies quote the request, key and all:
  https://cloud.google.com/apis/design/errors), no message, log line or exception text carries
  an API key, bearer token, ``key=`` value or any secret the client was given.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.providers import test_apify_tiktok_source as apify
from tests.unit.providers import test_gemini as gemini
from tests.unit.providers import test_gemini_embeddings as embeddings
from tests.unit.providers import test_google_trends_source as trends
from tests.unit.providers import test_google_tts as tts
from tests.unit.providers import test_pexels as pexels
from tests.unit.providers import test_youtube_source as youtube
from tests.unit.test_http_client import jittered
from trendreel import google_auth
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.errors import ProviderError, ProviderResponseError, ProviderUnavailableError
from trendreel.providers.base import UsageLog
from trendreel.providers.http import Classifier, Redactor, ServiceClient, answered
from trendreel.providers.llm.gemini import GeminiAnalyzer
from trendreel.providers.llm.gemini_embedder import GeminiEmbedder
from trendreel.providers.trends.apify_tiktok import ApifyTikTokSource
from trendreel.providers.trends.google_trends import GoogleTrendsSource
from trendreel.providers.trends.youtube import YouTubeTrendSource
from trendreel.providers.tts.google_tts import GoogleTextToSpeech
from trendreel.providers.visuals.pexels import PexelsVisuals

PACKAGE = Path(google_auth.__file__).parent
KEY = "AIzaSy-policy-test-0123456789"
TOKEN = "ya29.a0-policy-bearer-token"


# -- every provider under the policy -----------------------------------------------------------

UNAVAILABLE = Scripted.json(
    {"error": {"code": 503, "message": "The service is currently unavailable.",
               "status": "UNAVAILABLE"}},
    status=503,
)  # fmt: skip
FLAKY = (UNAVAILABLE, UNAVAILABLE)
#: Adds the service's answers (two 503s first on one route), runs the provider once, and
#: returns that route's path.
Scenario = Callable[[FixtureServer, Callable[[float], None], Path], str]


def _gemini_analyzer(server: FixtureServer, sleep: Callable[[float], None], _: Path) -> str:
    server.add("POST", gemini.PATH, *FLAKY, gemini._reply(gemini.ANALYSIS))
    analyzer = GeminiAnalyzer(gemini._settings(server.url), sleep=sleep)
    analyzer.analyze(gemini.COLLECTION, gemini.CONFIG, gemini.NOW, UsageLog())
    return gemini.PATH


def _gemini_embedder(server: FixtureServer, sleep: Callable[[float], None], _: Path) -> str:
    server.add("POST", embeddings.EMBED_PATH, *FLAKY, embeddings.embeddings([1.0]))
    GeminiEmbedder(gemini._settings(server.url), sleep=sleep).embed(["a"], UsageLog())
    return embeddings.EMBED_PATH


def _google_tts(server: FixtureServer, sleep: Callable[[float], None], _: Path) -> str:
    server.add("POST", tts.PATH, *FLAKY, tts._answer(tts._wav(tts.TIMELINE), tts.MARKS))
    speaker = GoogleTextToSpeech(tts._settings(server.url), sleep=sleep)
    speaker.synthesize("Tea & <scones>", 0, 160.0, UsageLog())
    return tts.PATH


def _pexels(
    server: FixtureServer, sleep: Callable[[float], None], tmp: Path, *, flaky_file: bool
) -> str:
    link = "/files/401.mp4"
    clip = pexels._video(401, 10, [pexels._file(4011, 1080, 1920, server.url + link)])
    search = (*FLAKY, pexels._results(clip)) if not flaky_file else (pexels._results(clip),)
    server.add("GET", pexels.SEARCH, *search)
    server.add("GET", link, *(FLAKY if flaky_file else ()), Scripted(body=b"clip-401"))
    visuals = PexelsVisuals(pexels._settings(server.url), sleep=sleep)
    blobs = LocalBlobStore(tmp)
    visuals.choose(pexels._script(1), pexels.BOUNDS[:1], 0, blobs, "v", UsageLog())
    assert blobs.get_bytes("v/scene_00.mp4") == b"clip-401"
    return link if flaky_file else pexels.SEARCH


def _youtube(server: FixtureServer, sleep: Callable[[float], None], _: Path) -> str:
    server.add("GET", "/videos", Scripted.json(youtube._body("youtube_chart.json")),
               Scripted.json(youtube._body("youtube_shorts_videos.json")))  # fmt: skip
    server.add("GET", "/search", *FLAKY, Scripted.json(youtube._body("youtube_search.json")))
    YouTubeTrendSource(youtube._settings(server), sleep=sleep).collect(youtube.NOW, 10, UsageLog())
    return "/search"


def _google_trends(server: FixtureServer, sleep: Callable[[float], None], _: Path) -> str:
    server.add("GET", trends.RSS_PATH, *FLAKY, trends._feed("google_trends_daily.xml"))
    GoogleTrendsSource(trends._settings(server), sleep=sleep).collect(trends.NOW, 5, UsageLog())
    return trends.RSS_PATH


def _apify(server: FixtureServer, sleep: Callable[[float], None], _: Path) -> str:
    server.add("POST", apify.RUN_PATH, *FLAKY, Scripted.json(apify._dataset()))
    ApifyTikTokSource(apify._settings(server), sleep=sleep).collect(apify.NOW, 5, UsageLog())
    return apify.RUN_PATH


SCENARIOS: dict[str, Scenario] = {
    "gemini-analyzer": _gemini_analyzer,
    "gemini-embedder": _gemini_embedder,
    "google-tts": _google_tts,
    "pexels-search": lambda s, sl, t: _pexels(s, sl, t, flaky_file=False),
    "pexels-download": lambda s, sl, t: _pexels(s, sl, t, flaky_file=True),
    "youtube": _youtube,
    "google-trends": _google_trends,
    "apify-tiktok": _apify,
}


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_each_provider_retries_only_through_the_policy(
    http_fixture: FixtureServer, tmp_path: Path, scenario: Scenario
) -> None:
    sleeps: list[float] = []
    path = scenario(http_fixture, sleeps.append, tmp_path)
    assert [r.path for r in http_fixture.requests].count(path) == 3
    assert jittered(sleeps, [0.5, 1.0])  # the settings' http_backoff_seconds, doubled


def test_the_certificate_fetch_uses_the_policy_with_its_own_small_budget(
    http_fixture: FixtureServer,
) -> None:
    http_fixture.add("GET", "/oauth2/v1/certs", UNAVAILABLE, Scripted.json({"kid": "PEM"}))
    sleeps: list[float] = []
    certs = google_auth.GoogleCerts(http_fixture.url + "/oauth2/v1/certs", sleep=sleeps.append)
    assert certs.get() == {"kid": "PEM"}
    assert len(http_fixture.requests) == 2
    assert jittered(sleeps, [google_auth.FETCH_BACKOFF_SECONDS])


# -- no provider calls out on its own ----------------------------------------------------------

RETRY_LIBRARIES = {"tenacity", "backoff", "retrying", "stamina", "urllib3", "requests", "aiohttp"}
RAW_HTTP_MODULES = {"urllib.request", "http.client"}
HTTPX_CALLS = {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"}


def _outbound_modules() -> list[Path]:
    """Every module that calls a service: providers (but the policy itself), the account
    connections, Google's certificate fetch."""
    found = [p for p in sorted((PACKAGE / "providers").rglob("*.py")) if "http" not in p.parts]
    accounts = PACKAGE / "accounts"
    found += sorted(accounts.rglob("*.py")) if accounts.is_dir() else []
    return [*found, PACKAGE / "google_auth.py"]


def _on_the_policy(call: ast.Call) -> bool:
    """``httpx.Client(transport=PolicyTransport(...))``: an SDK's client, sent by the policy."""
    return any(
        k.arg == "transport"
        and isinstance(k.value, ast.Call)
        and isinstance(k.value.func, ast.Name)
        and k.value.func.id == "PolicyTransport"
        for k in call.keywords
    )


def _call_problem(node: ast.Call) -> str | None:
    func = node.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return None
    owner, name = func.value.id, func.attr
    if owner in ("time", "asyncio") and name == "sleep":
        return f"calls {owner}.sleep (waits belong to the policy)"
    if owner == "httpx" and name in HTTPX_CALLS:
        return f"calls httpx.{name} directly"
    if owner == "httpx" and name in ("Client", "AsyncClient") and not _on_the_policy(node):
        return f"builds an httpx.{name} that does not send through PolicyTransport"
    return None


def _import_problem(node: ast.Import | ast.ImportFrom) -> str | None:
    names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    for name in names:
        if name.split(".")[0] in RETRY_LIBRARIES or name in RAW_HTTP_MODULES:
            return f"imports {name}"
    return None


def _problem(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        return _call_problem(node)
    if isinstance(node, ast.Import | ast.ImportFrom):
        return _import_problem(node)
    text = node.value if isinstance(node, ast.Constant) else None
    if isinstance(text, str) and "retry-after" in text.lower() and "\n" not in text:
        return "reads Retry-After (the policy does)"
    return None


def problems(source: str) -> list[str]:
    return [
        f"line {getattr(node, 'lineno', '?')}: {found}"
        for node in ast.walk(ast.parse(source))
        if (found := _problem(node))
    ]


def test_no_module_that_calls_out_retries_waits_or_sends_on_its_own() -> None:
    modules = _outbound_modules()
    assert len(modules) > 10
    offences = {
        str(path.relative_to(PACKAGE)): found
        for path in modules
        if (found := problems(path.read_text()))
    }
    assert offences == {}


@pytest.mark.parametrize(
    "source",
    [
        "import time\ntime.sleep(2 ** attempt)",
        "import tenacity",
        "from urllib.request import urlopen",
        "import httpx\nhttpx.get('https://example.com')",
        "import httpx\nclient = httpx.Client(timeout=5)",
        "wait = response.headers.get('Retry-After')",
    ],
)
def test_the_source_check_catches_a_private_retry_or_client(source: str) -> None:
    assert problems(source) != []


def test_the_source_check_allows_an_sdk_client_on_the_policy() -> None:
    assert problems("import httpx\nc = httpx.Client(transport=PolicyTransport(http))") == []


# -- secrets never leave -----------------------------------------------------------------------


def _client(
    url: str,
    *,
    secrets: Sequence[str | SecretStr] = (),
    headers: dict[str, str] | None = None,
    classify: Classifier | None = None,
) -> ServiceClient:
    return ServiceClient(
        "svc",
        url,
        max_retries=1,
        backoff=0.0,
        sleep=lambda _: None,
        secrets=secrets,
        headers=headers,
        classify=classify,
    )


def _texts(error: BaseException) -> list[str]:
    texts = [str(error), repr(error), error.args[0]]
    if isinstance(error, ProviderError):
        texts += [error.message, error.hint]
    cause = error.__cause__
    return [*texts, str(cause), repr(cause)] if cause is not None else texts


def echo(status: int, text: str) -> Scripted:
    """A Google error body that quotes the request back, as 400s often do."""
    return Scripted.json({"error": {"code": status, "message": text, "status": "X"}}, status)


def test_a_key_the_service_echoes_back_is_scrubbed_from_errors_and_logs(
    http_fixture: FixtureServer, caplog: pytest.LogCaptureFixture
) -> None:
    http_fixture.add("GET", "/v1/x", echo(503, f"backend for key {KEY} is down"))
    caplog.set_level(logging.DEBUG)
    with (
        _client(http_fixture.url, secrets=[SecretStr(KEY)]) as c,
        pytest.raises(ProviderUnavailableError) as caught,
    ):
        c.request("GET", "/v1/x")
    assert len(http_fixture.requests) == 2  # retried: one log line at least
    assert caplog.records
    for text in [*_texts(caught.value), *(r.getMessage() for r in caplog.records)]:
        assert KEY not in text
    assert "backend for key *** is down" in caught.value.message


@pytest.mark.parametrize(
    ("path", "params"),
    [("/v1/x", {"key": KEY, "alt": "json"}), (f"/v1/x?key={KEY}&alt=json", None)],
    ids=["params", "path"],
)
def test_a_query_string_key_is_never_in_a_message(
    http_fixture: FixtureServer, path: str, params: dict[str, str] | None
) -> None:
    http_fixture.add("GET", "/v1/x", echo(400, f"bad request: GET /v1/x?alt=json&key={KEY}"))
    with _client(http_fixture.url) as c, pytest.raises(ProviderResponseError) as caught:
        c.request("GET", path, params=params)
    assert http_fixture.requests[0].query["key"] == [KEY]  # it was really sent
    for text in _texts(caught.value):
        assert KEY not in text
    assert "svc: GET /v1/x answered HTTP 400" in caught.value.message


def test_header_credentials_are_scrubbed_however_they_come_back(
    http_fixture: FixtureServer,
) -> None:
    quoted = f"Authorization: Bearer {TOKEN}; x-goog-api-key={KEY}; k={KEY}"
    http_fixture.add("POST", "/v1/x", echo(401, quoted))
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Goog-Api-Key": KEY}
    with _client(http_fixture.url, headers=headers) as c, pytest.raises(ProviderError) as caught:
        c.request("POST", "/v1/x", json={})
    assert http_fixture.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    for text in _texts(caught.value):
        assert TOKEN not in text
        assert KEY not in text
    assert "Authorization: ***; x-goog-api-key=***; k=***" in caught.value.message


@pytest.mark.parametrize("encoded", ["s3cr3t%2Fwith%2Bodd%3Dchars", "s3cr3t/with%2Bodd%3Dchars"])
def test_a_per_call_token_and_a_url_encoded_echo_are_scrubbed(
    http_fixture: FixtureServer, encoded: str
) -> None:
    secret = "s3cr3t/with+odd=chars"
    http_fixture.add("POST", "/upload", echo(403, f"refused {encoded} for {TOKEN}"))
    with _client(http_fixture.url, secrets=[secret]) as c, pytest.raises(ProviderError) as caught:
        c.request("POST", "/upload", headers={"Authorization": f"Bearer {TOKEN}"}, content=b"x")
    assert http_fixture.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert "answered HTTP 403: refused *** for ***" in caught.value.message
    for text in _texts(caught.value):
        assert TOKEN not in text
        assert encoded not in text


def test_a_classify_hooks_message_is_scrubbed_too(http_fixture: FixtureServer) -> None:
    def quoting(provider: str, response: httpx.Response) -> ProviderError | None:
        return ProviderResponseError(provider, f"{answered(response)} [{response.text}]")

    http_fixture.add("GET", "/v1/x", echo(400, f"key={KEY} is not valid"))
    with _client(http_fixture.url, classify=quoting) as c, pytest.raises(ProviderError) as caught:
        c.request("GET", "/v1/x", params={"key": KEY})
    for text in _texts(caught.value):
        assert KEY not in text


def test_redaction_happens_before_truncation(http_fixture: FixtureServer) -> None:
    http_fixture.add("GET", "/v1/x", echo(400, "x" * 290 + KEY))
    with _client(http_fixture.url, secrets=[KEY]) as c, pytest.raises(ProviderError) as caught:
        c.request("GET", "/v1/x")
    assert KEY[:6] not in caught.value.message  # not even its first characters
    assert "x***" in caught.value.message


def test_the_redactor_scrubs_known_parameters_members_and_schemes_of_anyone() -> None:
    redact = Redactor()
    text = (
        "GET https://x.test/v?alt=json&key=AAA111&access_token=BBB222 "
        'body {"refresh_token": "CCC333", "client_secret":"DDD444", "name": "ok"} '
        "Authorization: Bearer EEE555 monkey=fine"
    )
    assert redact(text) == (
        "GET https://x.test/v?alt=json&key=***&access_token=*** "
        'body {"refresh_token": "***", "client_secret":"***", "name": "ok"} '
        "Authorization: Bearer *** monkey=fine"
    )


def test_the_redactor_keeps_its_secrets_out_of_sight() -> None:
    redact = Redactor([KEY, SecretStr(TOKEN), "abc"])
    assert KEY not in repr(redact)
    assert KEY not in str(vars(redact))
    assert redact("abc and abcdef") == "abc and abcdef"  # too short to be anyone's secret
    assert redact.headers({"Authorization": "Bearer x", "Accept": KEY}) == {
        "Authorization": "***",
        "Accept": "***",
    }
    client = ServiceClient("svc", "https://x.test", headers={"X-Goog-Api-Key": KEY})
    assert KEY not in repr(client)
    assert KEY not in str(vars(client))
    client.close()
