"""Google Cloud Text-to-Speech (REST v1beta1 ``text:synthesize``) with word timings from marks.

Words are the tokens the espeak synthesizer uses (``espeak_align.tokenise``: whitespace pieces,
punctuation-only pieces attached to a neighbour, ``word`` without surrounding punctuation), so
captions see the same word list whichever voice spoke. Each token is preceded by
``<mark name="w{i}"/>`` and the service returns the time of every mark (``enableTimePointing:
SSML_MARK``), i.e. each word's start; ends are derived from the audio (see ``speech_timing``).
Audio is requested as LINEAR16, which arrives as a WAV file. Calls go through the outbound-call
policy (``providers.http``); errors are the Google error model
(https://cloud.google.com/text-to-speech/docs/reference/rest/v1beta1/text/synthesize).
"""

from __future__ import annotations

import base64
import io
import re
import time
import wave
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

import httpx
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field, ValidationError

from trendreel.errors import MediaError, ProviderNotConfiguredError, ProviderResponseError
from trendreel.providers.base import NARRATION_WPM, Speech, UsageLog
from trendreel.providers.http import ServiceClient
from trendreel.providers.tts.espeak_align import normalise, tokenise
from trendreel.providers.tts.speech_timing import word_timings
from trendreel.settings import Settings

PROVIDER = "google_tts"
SYNTHESIZE_PATH = "/v1beta1/text:synthesize"
SAMPLE_RATE = 24000
MIN_SPEAKING_RATE, MAX_SPEAKING_RATE = 0.25, 4.0

#: USD per 1M billed characters by voice family (https://cloud.google.com/text-to-speech/pricing,
#: 2025). SSML markup is billed, <mark> tags are not. Unknown families use the Neural2 price.
PRICE_PER_MILLION_CHARS: dict[str, float] = {
    "Standard": 4.0,
    "Wavenet": 16.0,
    "Neural2": 16.0,
    "Polyglot": 16.0,
    "News": 16.0,
    "Chirp-HD": 30.0,
    "Chirp3-HD": 30.0,
    "Studio": 160.0,
}
DEFAULT_PRICE_PER_MILLION_CHARS = 16.0
_MARK_TAG = re.compile(r'<mark name="[^"]*"/>')


class _Timepoint(BaseModel):
    mark_name: str = Field(alias="markName")
    # proto3 JSON leaves out zero values: a mark at 0.0 s comes without timeSeconds.
    time_seconds: float = Field(default=0.0, alias="timeSeconds", ge=0)


class _Synthesis(BaseModel):
    audio_content: str = Field(alias="audioContent", min_length=1)
    timepoints: list[_Timepoint] = Field(default_factory=list)


def ssml_with_marks(words: list[str]) -> str:
    body = " ".join(f'<mark name="w{i}"/>{escape(w)}' for i, w in enumerate(words))
    return f"<speak>{body}</speak>"


def billed_characters(ssml: str) -> int:
    return len(_MARK_TAG.sub("", ssml))


def price_per_million(voice: str) -> float:
    families = sorted(PRICE_PER_MILLION_CHARS, key=len, reverse=True)
    family = next((f for f in families if f"-{f}-" in f"{voice}-"), None)
    return PRICE_PER_MILLION_CHARS[family] if family else DEFAULT_PRICE_PER_MILLION_CHARS


def speaking_rate(rate_wpm: float) -> float:
    return round(min(max(rate_wpm / NARRATION_WPM, MIN_SPEAKING_RATE), MAX_SPEAKING_RATE), 3)


class GoogleTextToSpeech:
    name = "google"

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if (
            settings.google_tts_api_key is None
            or not settings.google_tts_api_key.get_secret_value()
        ):
            raise ProviderNotConfiguredError(PROVIDER, "TRENDREEL_GOOGLE_TTS_API_KEY")
        self.voice = settings.google_tts_voice
        self._language = settings.google_tts_language
        key = settings.google_tts_api_key
        self._client = ServiceClient.from_settings(
            PROVIDER,
            settings.google_tts_base_url,
            settings,
            headers={"X-Goog-Api-Key": key.get_secret_value()},
            transport=transport,
            sleep=sleep,
            secrets=[key],
        )

    def synthesize(self, text: str, scene_index: int, rate_wpm: float, usage: UsageLog) -> Speech:
        tokens = tokenise(normalise(text))
        if not tokens:
            raise MediaError(f"google_tts: nothing to say in scene {scene_index}: {text!r}")
        ssml = ssml_with_marks([token.text for token in tokens])
        answer = self._client.post_json(SYNTHESIZE_PATH, self._request(ssml, rate_wpm))
        chars = billed_characters(ssml)
        usage.record(
            PROVIDER, "synthesize", chars, "characters", chars * price_per_million(self.voice) / 1e6
        )
        synthesis = _parse(answer)
        samples, sample_rate = decode_wav(synthesis.audio_content)
        starts = mark_times(synthesis, len(tokens), len(samples) / sample_rate)
        words = [token.word for token in tokens]
        timings = word_timings(words, starts, samples, sample_rate, scene_index)
        return Speech(samples=samples, sample_rate=sample_rate, words=timings)

    def _request(self, ssml: str, rate_wpm: float) -> dict[str, Any]:
        return {
            "input": {"ssml": ssml},
            "voice": {"languageCode": self._language, "name": self.voice},
            "audioConfig": {
                "audioEncoding": "LINEAR16",
                "sampleRateHertz": SAMPLE_RATE,
                "speakingRate": speaking_rate(rate_wpm),
            },
            "enableTimePointing": ["SSML_MARK"],
        }


def _parse(answer: Any) -> _Synthesis:
    try:
        return _Synthesis.model_validate(answer)
    except ValidationError as exc:
        raise ProviderResponseError(
            PROVIDER, f"unexpected synthesize answer ({exc.error_count()} problems)"
        ) from exc


def decode_wav(audio_content: str) -> tuple[npt.NDArray[np.int16], int]:
    """Mono 16-bit samples and the sample rate from base64 LINEAR16 (WAV) audio."""
    try:
        raw = base64.b64decode(audio_content, validate=True)
        with wave.open(io.BytesIO(raw), "rb") as wav:
            shape = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
            frames = wav.readframes(wav.getnframes())
    except (ValueError, EOFError, wave.Error) as exc:
        raise ProviderResponseError(PROVIDER, f"audio is not decodable WAV: {exc}") from exc
    channels, width, sample_rate = shape
    if channels != 1 or width != 2:
        raise ProviderResponseError(
            PROVIDER, f"expected mono 16-bit audio, got {channels} channels of {8 * width} bits"
        )
    samples = np.frombuffer(frames, dtype="<i2").astype(np.int16)
    if samples.size == 0:
        raise ProviderResponseError(PROVIDER, "audio has no samples")
    return samples, sample_rate


def mark_times(synthesis: _Synthesis, word_count: int, duration: float) -> list[float]:
    """Each word's start from its mark, clamped into the audio and never going backwards."""
    times = {tp.mark_name: tp.time_seconds for tp in synthesis.timepoints}
    missing = [f"w{i}" for i in range(word_count) if f"w{i}" not in times]
    if missing:
        raise ProviderResponseError(
            PROVIDER,
            f"no timepoint for {len(missing)} of {word_count} words (first missing {missing[0]})",
        )
    starts: list[float] = []
    for i in range(word_count):
        floor = starts[-1] if starts else 0.0
        starts.append(min(max(times[f"w{i}"], floor), duration))
    return starts
