"""Pydantic models at every boundary: trends, theme config, content, media reports, manifest."""

from trendreel.models.config import ContentReference, ThemeConfig, ThemeSettings
from trendreel.models.content import (
    MusicTrack,
    Scene,
    Script,
    VisualChoice,
    VisualPlan,
    VoiceoverInfo,
    WordTiming,
)
from trendreel.models.reports import (
    Asset,
    CaptionCue,
    Manifest,
    ProviderCall,
    QCCheck,
    QCReport,
    StageTiming,
)
from trendreel.models.stages import JobSpec, Stage, StageResult
from trendreel.models.trends import (
    ChosenTopic,
    EngagementStats,
    KeywordScore,
    Platform,
    RecommendedFormat,
    SourceReport,
    TopicCluster,
    TrendCollection,
    TrendItem,
    TrendReport,
)

__all__ = [
    "Asset",
    "CaptionCue",
    "ChosenTopic",
    "ContentReference",
    "EngagementStats",
    "JobSpec",
    "KeywordScore",
    "Manifest",
    "MusicTrack",
    "Platform",
    "ProviderCall",
    "QCCheck",
    "QCReport",
    "RecommendedFormat",
    "Scene",
    "Script",
    "SourceReport",
    "Stage",
    "StageResult",
    "StageTiming",
    "ThemeConfig",
    "ThemeSettings",
    "TopicCluster",
    "TrendCollection",
    "TrendItem",
    "TrendReport",
    "VisualChoice",
    "VisualPlan",
    "VoiceoverInfo",
    "WordTiming",
]
