"""Names of what each stage writes under ``jobs/{job_id}/{stage}/`` — importable without the
media stack, so the api function starts without loading moviepy or PyAV."""

from __future__ import annotations

TRENDS = "trends.json"  # trend_collection
REPORT = "report.json"  # trend_analysis
SCRIPT = "script.json"  # content_generation
VOICE_WAV = "voiceover.wav"
VOICE = "voiceover.json"
VISUALS = "visuals.json"
MUSIC_WAV = "music.wav"
MUSIC = "music.json"
VIDEO = "video.mp4"  # composition
THUMBNAIL = "thumbnail.jpg"
CAPTIONS = "captions.json"
QC = "qc.json"  # review
MANIFEST = "manifest.json"
