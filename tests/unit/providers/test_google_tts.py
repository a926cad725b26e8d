"""GoogleTextToSpeech against a scripted text:synthesize endpoint serving real WAV audio."""

from __future__ import annotations

import base64
import io
import wave
from typing import Any

import numpy as np
import pytest
from pydantic import SecretStr

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.test_http_client import jittered
from trendreel.errors import (
    MediaError,
    ProviderAuthError,
    ProviderNotConfiguredError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.providers.base import SpeechSynthesizer, UsageLog
from trendreel.providers.tts.google_tts import GoogleTextToSpeech, speaking_rate
from trendreel.settings import Settings

KEY = "tts-secret-key-987"
PATH = "/v1beta1/text:synthesize"
RATE = 24000
# (seconds, voiced): three words separated by silence, then a silent tail.
TIMELINE = [(0.10, False), (0.30, True), (0.15, False), (0.25, True), (0.05, False)]
TIMELINE += [(0.20, True), (0.30, False)]


def _settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "google_tts_api_key": SecretStr(KEY),
        "google_tts_base_url": url,
        "google_tts_voice": "en-US-Neural2-F",
        "google_tts_language": "en-US",
        "http_timeout_seconds": 5.0,
        "http_max_retries": 2,
        "http_backoff_seconds": 0.5,
        **overrides,
    }
    return Settings(**values)


def _wav(timeline: list[tuple[float, bool]], channels: int = 1) -> bytes:
    parts = []
    for seconds, voiced in timeline:
        t = np.arange(round(seconds * RATE)) / RATE
        level = 0.3 if voiced else 0.0
        parts.append(level * np.sin(2 * np.pi * 220 * t))
    samples = (np.concatenate(parts) * 32767).astype("<i2")
    if channels == 2:
        samples = np.repeat(samples, 2)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()


def _answer(audio: bytes, marks: list[dict[str, Any]]) -> Scripted:
    return Scripted.json(
        {
            "audioContent": base64.b64encode(audio).decode(),
            "timepoints": marks,
            "audioConfig": {"audioEncoding": "LINEAR16", "sampleRateHertz": RATE},
        }
    )


MARKS = [
    {"markName": "w0", "timeSeconds": 0.1},
    {"markName": "w1", "timeSeconds": 0.55},
    {"markName": "w2", "timeSeconds": 0.85},
]


def _tts(
    server: FixtureServer, sleeps: list[float] | None = None, **overrides: Any
) -> GoogleTextToSpeech:
    sleep = sleeps.append if sleeps is not None else (lambda _: None)
    return GoogleTextToSpeech(_settings(server.url, **overrides), sleep=sleep)


def test_speech_has_samples_and_word_timings_trimmed_to_voiced_audio(
    http_fixture: FixtureServer,
) -> None:
    http_fixture.add("POST", PATH, _answer(_wav(TIMELINE), MARKS))
    usage = UsageLog()
    tts: SpeechSynthesizer = _tts(http_fixture)

    speech = tts.synthesize("Tea & <scones>", 3, 180.0, usage)

    assert tts.name == "google"
    assert tts.voice == "en-US-Neural2-F"
    assert speech.sample_rate == RATE
    assert speech.samples.dtype == np.int16
    assert speech.duration == pytest.approx(1.35)
    assert [(w.word, w.start, w.end, w.scene_index) for w in speech.words] == [
        ("Tea", 0.10, 0.40, 3),
        ("&", 0.55, 0.80, 3),
        ("scones", 0.85, 1.05, 3),
    ]
    billed = len("<speak>Tea &amp; &lt;scones&gt;</speak>")
    (call,) = usage.calls
    assert (call.provider, call.units, call.unit_name) == ("google_tts", billed, "characters")
    assert call.estimated_cost_usd == pytest.approx(billed * 16 / 1e6)


def test_request_shape(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, _answer(_wav(TIMELINE), MARKS))
    _tts(http_fixture).synthesize("Tea & <scones>", 0, 180.0, UsageLog())

    (request,) = http_fixture.requests
    assert request.headers["x-goog-api-key"] == KEY
    assert request.query == {}
    assert request.json() == {
        "input": {
            "ssml": '<speak><mark name="w0"/>Tea <mark name="w1"/>&amp; '
            '<mark name="w2"/>&lt;scones&gt;</speak>'
        },
        "voice": {"languageCode": "en-US", "name": "en-US-Neural2-F"},
        "audioConfig": {
            "audioEncoding": "LINEAR16",
            "sampleRateHertz": 24000,
            "speakingRate": 1.125,
        },
        "enableTimePointing": ["SSML_MARK"],
    }


def test_mark_at_zero_and_minimum_word_length(http_fixture: FixtureServer) -> None:
    # proto3 JSON omits timeSeconds when it is 0; the last word starts in silence.
    audio = _wav([(0.1, False), (0.3, True), (0.2, False)])
    marks: list[dict[str, Any]] = [{"markName": "w0"}, {"markName": "w1", "timeSeconds": 0.5}]
    http_fixture.add("POST", PATH, _answer(audio, marks))

    speech = _tts(http_fixture).synthesize("hello there", 1, 160.0, UsageLog())

    assert [(w.start, w.end) for w in speech.words] == [(0.0, 0.4), (0.5, 0.56)]


def test_speaking_rate_is_clamped_to_the_api_range() -> None:
    assert speaking_rate(160.0) == 1.0
    assert speaking_rate(10.0) == 0.25
    assert speaking_rate(1000.0) == 4.0


def test_unauthorized_is_auth_error_without_the_key(http_fixture: FixtureServer) -> None:
    error = {"error": {"code": 401, "message": "API key not valid.", "status": "UNAUTHENTICATED"}}
    http_fixture.add("POST", PATH, Scripted.json(error, status=401))

    with pytest.raises(ProviderAuthError, match="API key not valid") as caught:
        _tts(http_fixture).synthesize("hello", 0, 160.0, UsageLog())
    assert KEY not in str(caught.value)
    assert len(http_fixture.requests) == 1


def test_rate_limit_then_success(http_fixture: FixtureServer) -> None:
    limited = Scripted.json({"error": {"message": "quota"}}, status=429)
    http_fixture.add("POST", PATH, limited, _answer(_wav(TIMELINE), MARKS))
    sleeps: list[float] = []

    speech = _tts(http_fixture, sleeps).synthesize("Tea & <scones>", 0, 160.0, UsageLog())

    assert len(speech.words) == 3
    assert jittered(sleeps, [0.5])
    assert len(http_fixture.requests) == 2


def test_server_errors_exhaust_retries(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, Scripted.json({"error": {"message": "backend"}}, status=503))
    sleeps: list[float] = []
    usage = UsageLog()

    with pytest.raises(ProviderUnavailableError) as caught:
        _tts(http_fixture, sleeps).synthesize("hello", 0, 160.0, usage)

    assert caught.value.retryable
    assert jittered(sleeps, [0.5, 1.0])
    assert len(http_fixture.requests) == 3
    assert usage.calls == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"timepoints": []}, "unexpected synthesize answer"),
        (
            {"audioContent": base64.b64encode(b"not a wav at all").decode(), "timepoints": MARKS},
            "not decodable WAV",
        ),
        ({"audioContent": "%%%not-base64%%%", "timepoints": MARKS}, "not decodable WAV"),
        (
            {"audioContent": base64.b64encode(_wav(TIMELINE, 2)).decode(), "timepoints": MARKS},
            "expected mono 16-bit",
        ),
        (
            {"audioContent": base64.b64encode(_wav(TIMELINE)).decode(), "timepoints": MARKS[:2]},
            "no timepoint for 1 of 3 words",
        ),
    ],
)
def test_unusable_answers_are_response_errors(
    http_fixture: FixtureServer, body: dict[str, Any], message: str
) -> None:
    http_fixture.add("POST", PATH, Scripted.json(body))

    with pytest.raises(ProviderResponseError, match=message) as caught:
        _tts(http_fixture).synthesize("Tea & <scones>", 0, 160.0, UsageLog())
    assert not caught.value.retryable


def test_missing_key_is_not_configured() -> None:
    with pytest.raises(ProviderNotConfiguredError) as caught:
        GoogleTextToSpeech(_settings("http://127.0.0.1:9", google_tts_api_key=None))
    assert caught.value.setting == "TRENDREEL_GOOGLE_TTS_API_KEY"
    assert caught.value.provider == "google_tts"


def test_punctuation_only_pieces_join_their_word(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, _answer(_wav(TIMELINE), MARKS))

    speech = _tts(http_fixture).synthesize("“Wait” — really? Yes!", 0, 160.0, UsageLog())

    assert [w.word for w in speech.words] == ["Wait", "really", "Yes"]
    ssml = http_fixture.requests[0].json()["input"]["ssml"]
    assert (
        ssml
        == '<speak><mark name="w0"/>“Wait” — <mark name="w1"/>really? <mark name="w2"/>Yes!</speak>'
    )


def test_text_without_words_is_media_error(http_fixture: FixtureServer) -> None:
    with pytest.raises(MediaError, match="nothing to say in scene 2"):
        _tts(http_fixture).synthesize("  \n ", 2, 160.0, UsageLog())
    assert http_fixture.requests == []
