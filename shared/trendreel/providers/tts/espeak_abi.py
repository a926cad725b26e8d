"""The C side of espeak-ng (speak_lib.h) that trendreel calls: constants, structs, signatures.

Declaring exact argument and return types matters: without them ctypes guesses from the Python
values, truncates pointers to int and reads ``char *`` results as integers.
"""

from __future__ import annotations

import ctypes
from ctypes import c_char_p, c_int, c_size_t, c_uint, c_void_p
from typing import Any

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000  # return an error code instead of calling exit()
PARAM_RATE = 1
POS_CHARACTER = 1
CHARS_UTF8 = 1
PHONEMES_IPA = 0x02  # espeak_TextToPhonemes: IPA as UTF-8, no separators between phonemes
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EE_OK = 0
MIN_RATE = 80  # espeak's own limits for espeakRATE
MAX_RATE = 450


class EventId(ctypes.Union):
    _fields_ = [
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    ]


class Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based character index into the text
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # milliseconds
        ("sample", ctypes.c_int),  # sample index from the start of this espeak_Synth call
        ("user_data", ctypes.c_void_p),
        ("id", EventId),
    ]


SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event)
)

_SYNTH_ARGS = [c_char_p, c_size_t, c_uint, c_int, c_uint, c_uint, c_void_p, c_void_p]
_SIGNATURES: dict[str, tuple[list[Any], Any]] = {
    "espeak_Initialize": ([c_int, c_int, c_char_p, c_int], c_int),
    "espeak_SetVoiceByName": ([c_char_p], c_int),
    "espeak_SetParameter": ([c_int, c_int, c_int], c_int),
    "espeak_SetSynthCallback": ([SynthCallback], None),
    "espeak_Synth": (_SYNTH_ARGS, c_int),
    "espeak_Synchronize": ([], c_int),
    "espeak_Terminate": ([], c_int),
    # (const void **textptr, int textmode, int phonememode): one clause per call; the pointer
    # moves on to the next clause and becomes NULL after the last one.
    "espeak_TextToPhonemes": ([ctypes.POINTER(c_void_p), c_int, c_int], c_char_p),
}


def declare(lib: ctypes.CDLL) -> None:
    """Exact C signatures, so ctypes converts arguments instead of guessing."""
    for name, (argtypes, restype) in _SIGNATURES.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype
