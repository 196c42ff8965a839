from .calendar import WEEKDAYS, BusinessCalendar, Holiday
from .cases import (
    OPEN_STATUSES,
    CaseEvent,
    CaseStatus,
    ContactAttempt,
    EscalationLevel,
    FeedbackCase,
    RootCause,
)
from .improvements import BOARD_FLOW, Horizon, ImprovementAction, ImprovementStatus, Origin
from .rules import AlertRule, keyword_pattern, split_keywords

__all__ = [
    "BOARD_FLOW",
    "OPEN_STATUSES",
    "WEEKDAYS",
    "AlertRule",
    "BusinessCalendar",
    "CaseEvent",
    "CaseStatus",
    "ContactAttempt",
    "EscalationLevel",
    "FeedbackCase",
    "Holiday",
    "Horizon",
    "ImprovementAction",
    "ImprovementStatus",
    "Origin",
    "RootCause",
    "keyword_pattern",
    "split_keywords",
]
