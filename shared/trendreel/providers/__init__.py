"""Providers per capability: trends, llm (analysis + script), tts, visuals, music.

Each capability has a Protocol in ``base``; the offline default and the real services implement it.
``bootstrap`` is the only place that chooses which.
"""
