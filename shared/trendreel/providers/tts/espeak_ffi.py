"""ctypes bindings for the few espeak-ng calls trendreel needs: synthesis with word events, and
text to IPA phonemes (what the Piper voice speaks from).

espeak-ng keeps global state (one voice, one rate, one callback per process), so every call goes
through one module-level lock, and the ctypes callback object lives at module level: if it were
garbage collected, espeak would call freed memory.

The library is loaded, initialised, used and unloaded again for every utterance (~3 ms). Loaded
once, its output depends on what it said before: the pitch "flutter" and roughness generators
keep their phase in function-level statics that neither espeak_Terminate nor espeak_Initialize
reset, so the same text came out a few hundred samples different on every call. A fresh load
makes each utterance exactly reproducible (the same samples as the first call in a process).
"""

from __future__ import annotations

import _ctypes
import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from ctypes import c_void_p
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from trendreel.errors import ConfigError, MediaError
from trendreel.providers.tts import espeak_abi as abi

_REINSTALL_HINT = (
    "The bundled espeak-ng library is missing or broken; reinstall it with "
    "`pip install --force-reinstall espeakng-loader`."
)


@dataclass(frozen=True)
class WordEvent:
    position: int  # 1-based character (code point) index into the synthesised text
    sample: int  # sample index from the start of the utterance


@dataclass(frozen=True)
class RawSpeech:
    samples: npt.NDArray[np.int16]
    sample_rate: int
    events: list[WordEvent]


@dataclass(frozen=True)
class Phonemes:
    clauses: list[str]  # IPA, one string per clause as espeak splits the text; words spaced
    events: list[WordEvent]


@dataclass
class _Collector:
    audio: bytearray = field(default_factory=bytearray)
    events: list[WordEvent] = field(default_factory=list)
    error: str | None = None


@dataclass
class _State:
    collector: _Collector | None = None  # set only while espeak_Synth runs


_lock = threading.Lock()
_state = _State()  # process-wide, like espeak's own; only touched while holding _lock


def _on_audio(wav: Any, numsamples: int, events: Any) -> int:
    """espeak's synth callback: collect audio and WORD events. Never raises into C."""
    collector = _state.collector
    if collector is None:
        return 1  # not inside synthesize(): abort
    try:
        if numsamples > 0 and wav:
            collector.audio += ctypes.string_at(wav, numsamples * 2)
        index = 0
        while events and events[index].type != abi.EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == abi.EVENT_WORD:
                collector.events.append(WordEvent(event.text_position, event.sample))
            index += 1
    except Exception as exc:  # an exception must not cross the C boundary
        collector.error = repr(exc)
        return 1
    return 0


_CALLBACK = abi.SynthCallback(_on_audio)


def _open() -> tuple[ctypes.CDLL, int]:
    """Load and initialise a fresh copy of the library; return it and its sample rate."""
    try:
        import espeakng_loader

        lib_path = espeakng_loader.get_library_path()
        data_path = espeakng_loader.get_data_path()
        lib = ctypes.CDLL(lib_path)
        abi.declare(lib)
    except (ImportError, OSError, RuntimeError, AttributeError) as exc:
        raise MediaError(f"espeak-ng could not be loaded: {exc}", hint=_REINSTALL_HINT) from exc
    sample_rate = lib.espeak_Initialize(
        abi.AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path).encode(), abi.INITIALIZE_DONT_EXIT
    )
    if sample_rate <= 0:
        _close(lib)
        raise MediaError(
            f"espeak-ng failed to initialise with data at {data_path} (code {sample_rate})",
            hint=_REINSTALL_HINT,
        )
    lib.espeak_SetSynthCallback(_CALLBACK)
    return lib, sample_rate


def _close(lib: ctypes.CDLL) -> None:
    """Free espeak's memory and unload it, so the next load starts from a clean state."""
    lib.espeak_Terminate()
    dlclose = getattr(_ctypes, "dlclose", None)  # POSIX only; elsewhere the state just carries
    if dlclose is not None:
        dlclose(lib._handle)


def _set_voice(lib: ctypes.CDLL, voice: str) -> None:
    if lib.espeak_SetVoiceByName(voice.encode()) != abi.EE_OK:
        raise ConfigError(
            f"espeak-ng has no voice {voice!r}",
            field="espeak_voice",
            hint="Use an espeak-ng voice name such as en-us, en-gb or de.",
        )


def _run(lib: ctypes.CDLL, text: str, rate: int) -> _Collector:
    collector = _Collector()
    data = text.encode("utf-8")
    lib.espeak_SetParameter(abi.PARAM_RATE, max(abi.MIN_RATE, min(abi.MAX_RATE, rate)), 0)
    _state.collector = collector
    try:
        status = lib.espeak_Synth(
            data, len(data) + 1, 0, abi.POS_CHARACTER, 0, abi.CHARS_UTF8, None, None
        )
        if status == abi.EE_OK:
            status = lib.espeak_Synchronize()
    finally:
        _state.collector = None
    if status != abi.EE_OK or collector.error is not None:
        raise MediaError(f"espeak-ng synthesis failed (code {status}): {collector.error or ''}")
    return collector


@contextmanager
def _loaded(voice: str) -> Iterator[tuple[ctypes.CDLL, int]]:
    """A fresh copy of the library with ``voice`` set, held under the process-wide lock."""
    with _lock:
        lib, sample_rate = _open()
        try:
            _set_voice(lib, voice)
            yield lib, sample_rate
        finally:
            _close(lib)


def _clauses(lib: ctypes.CDLL, text: str) -> list[str]:
    data = ctypes.create_string_buffer(text.encode("utf-8"))
    pointer = c_void_p(ctypes.addressof(data))
    clauses: list[str] = []
    # Each call consumes at least one byte, so the length bounds a library that never moves on.
    while pointer.value and len(clauses) <= len(data):
        phonemes = lib.espeak_TextToPhonemes(
            ctypes.byref(pointer), abi.CHARS_UTF8, abi.PHONEMES_IPA
        )
        clauses.append((phonemes or b"").decode("utf-8", errors="replace"))
    return clauses


def synthesize(text: str, voice: str, rate: int) -> RawSpeech:
    """Speak ``text`` with ``voice`` at ``rate`` (espeak words per minute, 80-450)."""
    with _loaded(voice) as (lib, sample_rate):
        collector = _run(lib, text, rate)
    samples = np.frombuffer(collector.audio, dtype=np.int16)
    return RawSpeech(samples=samples, sample_rate=sample_rate, events=collector.events)


def phonemize(text: str, voice: str) -> Phonemes:
    """``text`` in IPA clause by clause, and the WORD events that place each spoken word in it.

    Both come from one load. espeak starts a new word in its IPA (a space) exactly where it
    reports a WORD event, so the n-th word of the IPA is the n-th event. Synthesis runs only for
    the events: at the fastest rate, since word positions do not depend on it, and the audio is
    dropped.
    """
    with _loaded(voice) as (lib, _):
        clauses = _clauses(lib, text)
        events = _run(lib, text, abi.MAX_RATE).events
    return Phonemes(clauses=clauses, events=events)
