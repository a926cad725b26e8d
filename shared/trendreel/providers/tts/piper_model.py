"""The Piper voice model, loaded once per process and run one sentence at a time.

Session options, measured on the 2-core development machine (best of 6, a 7 s sentence): two
intra-op threads run at real-time factor ~0.04 against ~0.055 for one; the graph optimisation
level makes no difference at run time once the copy is pre-optimised (``piper_cache``), and
``ORT_ENABLE_ALL`` adds its hardware-specific layout changes at load; spinning threads buy
nothing, so they are off and leave the cores to the stages running beside this one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trendreel.onnx_runtime import onnxruntime
from trendreel.providers.tts.piper_cache import aligned_copy
from trendreel.providers.tts.piper_voice import (
    BOS,
    EOS,
    PAD,
    VoiceConfig,
    VoiceFiles,
    voice_error,
)

MAX_THREADS = 4  # one utterance gains little beyond; os.cpu_count() sees the host on Cloud Run


class PiperModel:
    """One loaded voice: phoneme symbols in, audio and each symbol's span in samples out."""

    def __init__(self, session: Any, config: VoiceConfig) -> None:
        self._session = session
        self.config = config
        self.sample_rate = config.audio.sample_rate

    @classmethod
    def load(cls, files: VoiceFiles, config: VoiceConfig, cache_dir: Path) -> PiperModel:
        path = aligned_copy(files, cache_dir)
        try:
            ort = onnxruntime()
            options = ort.SessionOptions()
            options.intra_op_num_threads = min(MAX_THREADS, os.cpu_count() or 1)
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3  # warnings about unused initialisers are not ours
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped pybind errors
            path.unlink(missing_ok=True)  # a damaged copy must not outlive this error
            raise voice_error(f"voice model {path} could not be loaded: {exc}") from exc
        if len(session.get_outputs()) != 2:
            raise voice_error(f"{path} does not output phoneme durations")
        return cls(session, config)

    def encode(self, symbols: list[str]) -> tuple[list[int], list[int]]:
        """Piper's input ids (each symbol followed by a pad, between BOS and EOS), and where
        each symbol's ids start, plus where EOS starts: symbol i spans ids [at[i], at[i + 1])."""
        ids_of = self.config.phoneme_id_map
        ids = [*ids_of[BOS], *ids_of[PAD]]
        at = []
        for symbol in symbols:
            at.append(len(ids))
            ids += [*ids_of[symbol], *ids_of[PAD]]
        at.append(len(ids))
        return [*ids, *ids_of[EOS]], at

    def infer(
        self, ids: list[int], length_scale: float
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Audio in [-1, 1] and the number of samples each id was given."""
        inference = self.config.inference
        scales = [inference.noise_scale, inference.length_scale * length_scale, inference.noise_w]
        audio, frames = self._session.run(
            None,
            {
                "input": np.array([ids], dtype=np.int64),
                "input_lengths": np.array([len(ids)], dtype=np.int64),
                "scales": np.array(scales, dtype=np.float32),
            },
        )
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        per_id = (np.asarray(frames).reshape(-1) * self.config.hop_length).astype(np.int64)
        if len(per_id) != len(ids) or int(per_id.sum()) != len(samples):
            raise voice_error(
                f"the model's durations ({int(per_id.sum())} samples over {len(per_id)} ids) "
                f"do not match its audio ({len(samples)} samples, {len(ids)} ids)"
            )
        return samples, per_id
