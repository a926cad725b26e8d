"""The Piper voice, patched once to report phoneme durations, in a cache under TRENDREEL_HOME.

A Piper (VITS) model rounds every phoneme id's predicted length up to whole spectrogram frames
(its one ``Ceil`` node) and the decoder turns each frame into exactly ``hop_length`` samples.
Marking that tensor as a second graph output (the change piper-tts's
``patch_voice_with_alignment`` makes) therefore gives each phoneme's span in the audio,
sample-exact, from the model itself.

The patched copy goes to ``$TRENDREEL_HOME/models/``, never into site-packages. It is saved as
onnxruntime optimises it up to ``ORT_ENABLE_EXTENDED``, which is hardware independent (the layout
changes of ``ORT_ENABLE_ALL`` are made at every load): a load then takes 0.12-0.18 s instead of
0.35-0.48 s, and runs as fast. Its name carries the source file's size and mtime and the
onnxruntime version, so a reinstalled voice or runtime makes a new copy; it is written under a
temporary name and renamed, so concurrent first uses are safe.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

from trendreel.errors import ProviderError
from trendreel.onnx_runtime import onnxruntime
from trendreel.providers.tts.piper_voice import PROVIDER, VoiceFiles, voice_error

PARTIAL_EXPIRY_SECONDS = 600


def copy_path(files: VoiceFiles, cache_dir: Path) -> Path:
    """Where the patched copy of this very model file, for this onnxruntime, goes."""
    ort = onnxruntime()

    stat = files.model.stat()
    stamp = f"{stat.st_size}-{stat.st_mtime_ns}-ort{ort.__version__}"
    return cache_dir / f"{files.name}.{stamp}.aligned.onnx"


def aligned_copy(files: VoiceFiles, cache_dir: Path) -> Path:
    """The model with its phoneme durations as a second output, made once into the cache."""
    target = copy_path(files, cache_dir)
    if target.is_file():
        return target
    model = _with_durations(files)
    writer = f"{os.getpid()}-{threading.get_ident()}"  # two runtimes in a process may race too
    partial = target.with_name(f"{target.name}.{writer}.partial")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale(cache_dir, files.name, target)
        _save_optimised(model, partial)
        partial.replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise ProviderError(
            PROVIDER,
            f"could not write the patched voice model to {cache_dir}: {exc}",
            hint="Free about 60 MB there, or point TRENDREEL_HOME at a writable folder.",
        ) from exc
    return target


def _with_durations(files: VoiceFiles) -> bytes:
    try:
        import onnx

        model = onnx.load(str(files.model))
    except Exception as exc:  # ImportError, protobuf's DecodeError, OSError: all mean the same
        raise voice_error(f"voice model {files.model} could not be read: {exc}") from exc
    durations = [out for node in model.graph.node if node.op_type == "Ceil" for out in node.output]
    if len(durations) != 1:
        raise voice_error(f"{files.model} is not a Piper voice: {len(durations)} Ceil nodes")
    model.graph.output.append(onnx.helper.make_empty_tensor_value_info(durations[0]))
    serialised: bytes = model.SerializeToString()
    return serialised


def _save_optimised(model: bytes, path: Path) -> None:
    ort = onnxruntime()

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(path)
    options.log_severity_level = 3  # warnings about unused initialisers are not ours
    try:
        ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped pybind errors
        raise voice_error(f"the voice model could not be prepared: {exc}") from exc


def _remove_stale(cache_dir: Path, name: str, keep: Path) -> None:
    """Copies of an older install, and partial copies a killed process left (a patch takes
    seconds, so one older than PARTIAL_EXPIRY_SECONDS is nobody's work in progress): 60 MB each."""
    for path in cache_dir.glob(f"{name}.*"):
        if path.name.endswith(".partial"):
            with contextlib.suppress(FileNotFoundError):
                if time.time() - path.stat().st_mtime > PARTIAL_EXPIRY_SECONDS:
                    path.unlink()
        elif path != keep:
            path.unlink(missing_ok=True)
