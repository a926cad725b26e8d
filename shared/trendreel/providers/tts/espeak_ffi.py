"""ctypes bindings for the few espeak-ng calls trendreel needs: synchronous synthesis + events.

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
from ctypes import c_char_p, c_int, c_size_t, c_uint, c_void_p
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from trendreel.errors import ConfigError, MediaError

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000  # return an error code instead of calling exit()
PARAM_RATE = 1
POS_CHARACTER = 1
CHARS_UTF8 = 1
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EE_OK = 0
MIN_RATE = 80  # espeak's own limits for espeakRATE
MAX_RATE = 450

_REINSTALL_HINT = (
    "The bundled espeak-ng library is missing or broken; reinstall it with "
    "`pip install --force-reinstall espeakng-loader`."
)


class _EventId(ctypes.Union):
    _fields_ = [
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    ]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based character index into the text
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # milliseconds
        ("sample", ctypes.c_int),  # sample index from the start of this espeak_Synth call
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
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
        while events and events[index].type != EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == EVENT_WORD:
                collector.events.append(WordEvent(event.text_position, event.sample))
            index += 1
    except Exception as exc:  # an exception must not cross the C boundary
        collector.error = repr(exc)
        return 1
    return 0


_CALLBACK = _SynthCallback(_on_audio)


_SYNTH_ARGS = [c_char_p, c_size_t, c_uint, c_int, c_uint, c_uint, c_void_p, c_void_p]
_SIGNATURES: dict[str, tuple[list[Any], Any]] = {
    "espeak_Initialize": ([c_int, c_int, c_char_p, c_int], c_int),
    "espeak_SetVoiceByName": ([c_char_p], c_int),
    "espeak_SetParameter": ([c_int, c_int, c_int], c_int),
    "espeak_SetSynthCallback": ([_SynthCallback], None),
    "espeak_Synth": (_SYNTH_ARGS, c_int),
    "espeak_Synchronize": ([], c_int),
    "espeak_Terminate": ([], c_int),
}


def _declare(lib: ctypes.CDLL) -> None:
    """Exact C signatures, so ctypes converts arguments instead of guessing."""
    for name, (argtypes, restype) in _SIGNATURES.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype


def _open() -> tuple[ctypes.CDLL, int]:
    """Load and initialise a fresh copy of the library; return it and its sample rate."""
    try:
        import espeakng_loader

        lib_path = espeakng_loader.get_library_path()
        data_path = espeakng_loader.get_data_path()
        lib = ctypes.CDLL(lib_path)
        _declare(lib)
    except (ImportError, OSError, RuntimeError, AttributeError) as exc:
        raise MediaError(f"espeak-ng could not be loaded: {exc}", hint=_REINSTALL_HINT) from exc
    sample_rate = lib.espeak_Initialize(
        AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path).encode(), INITIALIZE_DONT_EXIT
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
    if lib.espeak_SetVoiceByName(voice.encode()) != EE_OK:
        raise ConfigError(
            f"espeak-ng has no voice {voice!r}",
            field="espeak_voice",
            hint="Use an espeak-ng voice name such as en-us, en-gb or de.",
        )


def _run(lib: ctypes.CDLL, text: str, rate: int) -> _Collector:
    collector = _Collector()
    data = text.encode("utf-8")
    lib.espeak_SetParameter(PARAM_RATE, max(MIN_RATE, min(MAX_RATE, rate)), 0)
    _state.collector = collector
    try:
        status = lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        if status == EE_OK:
            status = lib.espeak_Synchronize()
    finally:
        _state.collector = None
    if status != EE_OK or collector.error is not None:
        raise MediaError(f"espeak-ng synthesis failed (code {status}): {collector.error or ''}")
    return collector


def synthesize(text: str, voice: str, rate: int) -> RawSpeech:
    """Speak ``text`` with ``voice`` at ``rate`` (espeak words per minute, 80-450)."""
    with _lock:
        lib, sample_rate = _open()
        try:
            _set_voice(lib, voice)
            collector = _run(lib, text, rate)
        finally:
            _close(lib)
    samples = np.frombuffer(collector.audio, dtype=np.int16)
    return RawSpeech(samples=samples, sample_rate=sample_rate, events=collector.events)
