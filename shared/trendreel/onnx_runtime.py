"""onnxruntime, imported one way for every model trendreel runs (the Piper narrator, the
MiniLM sentence model).

onnxruntime's Linux build starts Microsoft's usage telemetry when it is imported, writing a
session file into $TMPDIR (a job's scratch space) and queueing events to send, unless
ORT_DISABLE_TELEMETRY is set before the import. A video pipeline has no business reporting
home, and a stage's scratch must hold only what the stage wrote.
"""

from __future__ import annotations

import os
from typing import Any


def onnxruntime() -> Any:
    """The onnxruntime module (untyped: it ships no type information), telemetry off."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort  # type: ignore[import-untyped]

    return ort
