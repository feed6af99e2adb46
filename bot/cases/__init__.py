"""Support requests: model, lifecycle, routing, SLA, reports, canned replies. No Telegram."""

from bot.cases.lifecycle import (
    AlreadyClaimed,
    CaseError,
    InvalidTransition,
    assign,
    claim,
    is_open,
    person_wrote,
    record_first_response,
    reopen,
    set_outcome,
    set_priority,
    set_rating,
    toggle_service,
    transition,
)
from bot.cases.model import (
    OPEN_STATUSES,
    OUTCOMES,
    PRIORITIES,
    SERVICES,
    STATUSES,
    VULNERABILITIES,
    CaseRecord,
)
from bot.cases.replies import Replies, load_replies
from bot.cases.report import Report, Tally, build_report, write_csv
from bot.cases.routing import RoutingRules, Team, load_routing, priority_for, route
from bot.cases.sla import first_response_due, overdue_action, queue_order

__all__ = [
    "OPEN_STATUSES",
    "OUTCOMES",
    "PRIORITIES",
    "SERVICES",
    "STATUSES",
    "VULNERABILITIES",
    "AlreadyClaimed",
    "CaseError",
    "CaseRecord",
    "InvalidTransition",
    "Replies",
    "Report",
    "RoutingRules",
    "Tally",
    "Team",
    "assign",
    "build_report",
    "claim",
    "first_response_due",
    "is_open",
    "load_replies",
    "load_routing",
    "overdue_action",
    "person_wrote",
    "priority_for",
    "queue_order",
    "record_first_response",
    "reopen",
    "route",
    "set_outcome",
    "set_priority",
    "set_rating",
    "toggle_service",
    "transition",
    "write_csv",
]
