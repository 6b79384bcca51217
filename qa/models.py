"""Every qa table in one import, for migrations, the tests and other packages: each room defines its own
tables in its ``models`` module (table prefix ``qa_``); this module only gathers them."""

from __future__ import annotations

from portal.masking import MaskingPattern  # the admin's masking patterns (table qa_masking_patterns)
from qa.calibration.models import (
    CalibrationGrader,
    CalibrationItem,
    CalibrationRating,
    CalibrationSession,
    CalibrationStatus,
)
from qa.evaluations.models import (
    Dispute,
    DisputeCriterion,
    DisputeStatus,
    Evaluation,
    EvaluationRating,
    EvaluationStatus,
    ScoreHistory,
)
from qa.interactions.models import Channel, Interaction, Speaker, TranscriptTurn
from qa.sampling.models import (
    PeriodKind,
    SampleItem,
    SampleStatus,
    SamplingPlan,
    SamplingPlanAgent,
    SamplingPlanGrader,
)
from qa.scorecards.models import Scorecard, ScorecardCriterion, ScorecardSection, ScorecardVersion

__all__ = [
    "CalibrationGrader",
    "CalibrationItem",
    "CalibrationRating",
    "CalibrationSession",
    "CalibrationStatus",
    "Channel",
    "Dispute",
    "DisputeCriterion",
    "DisputeStatus",
    "Evaluation",
    "EvaluationRating",
    "EvaluationStatus",
    "Interaction",
    "MaskingPattern",
    "PeriodKind",
    "SampleItem",
    "SampleStatus",
    "SamplingPlan",
    "SamplingPlanAgent",
    "SamplingPlanGrader",
    "ScoreHistory",
    "Scorecard",
    "ScorecardCriterion",
    "ScorecardSection",
    "ScorecardVersion",
    "Speaker",
    "TranscriptTurn",
]
