"""What the case core knows about a support request, and the id lists the UI translates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Status ids, in the order a case usually moves through them. The UI translates them.
STATUS_NEW = "new"
STATUS_IN_PROGRESS = "in_progress"
STATUS_WAITING = "waiting"  # waiting for the person (an answer, a document)
STATUS_RESOLVED = "resolved"
STATUS_CLOSED = "closed"
STATUS_DELETED = "deleted"  # deleted at the person's request; terminal
STATUSES: tuple[str, ...] = (
    STATUS_NEW,
    STATUS_IN_PROGRESS,
    STATUS_WAITING,
    STATUS_RESOLVED,
    STATUS_CLOSED,
    STATUS_DELETED,
)
OPEN_STATUSES: frozenset[str] = frozenset({STATUS_NEW, STATUS_IN_PROGRESS, STATUS_WAITING})

PRIORITY_HIGH = 0
PRIORITY_NORMAL = 1
PRIORITY_LOW = 2
PRIORITIES: tuple[int, ...] = (PRIORITY_HIGH, PRIORITY_NORMAL, PRIORITY_LOW)

# Vulnerabilities the RESTART report counted, plus trafficking and disability in general.
VULNERABILITIES: tuple[str, ...] = (
    "medical",
    "children",
    "no_housing",
    "trafficking",
    "disability",
    "psychosocial",
)

# Services delivered per case, as RESTART reported them.
SERVICES: tuple[str, ...] = (
    "employment",
    "education",
    "documents",
    "accommodation",
    "medical",
    "disability_allowance",
    "other",
)

# How a case ended, as RESTART reported it (rejections with their reason).
OUTCOMES: tuple[str, ...] = (
    "supported",
    "completed",
    "rejected_ineligible",
    "rejected_other_programme",
    "withdrawn",
)

RATINGS: tuple[int, ...] = (1, 2, 3, 4, 5)

_STATUS_SET = frozenset(STATUSES)
_VULN_SET = frozenset(VULNERABILITIES)
_SERVICE_SET = frozenset(SERVICES)
_OUTCOME_SET = frozenset(OUTCOMES)


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRecord:
    """One support request as the core reasons about it; the repository maps rows to it."""

    id: int
    person_id: int
    category: str
    language: str
    created_at: datetime
    audience: str | None = None
    region: str | None = None
    adults: int | None = None
    children: int | None = None
    vulnerabilities: frozenset[str] = frozenset()
    status: str = STATUS_NEW
    priority: int = PRIORITY_NORMAL
    assignee_id: int | None = None
    team: str = "general"
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    services: frozenset[str] = frozenset()
    outcome: str | None = None
    rating: int | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    has_flow_answers: bool = False

    def __post_init__(self) -> None:
        # Cheap checks only: reports build a million of these.
        if self.status not in _STATUS_SET:
            raise ValueError(f"case #{self.id}: unknown status {self.status!r}")
        if self.priority not in PRIORITIES:
            raise ValueError(f"case #{self.id}: priority must be 0, 1 or 2, got {self.priority!r}")
        if not self.vulnerabilities <= _VULN_SET:
            bad = sorted(self.vulnerabilities - _VULN_SET)
            raise ValueError(f"case #{self.id}: unknown vulnerabilities {bad}")
        if not self.services <= _SERVICE_SET:
            bad = sorted(self.services - _SERVICE_SET)
            raise ValueError(f"case #{self.id}: unknown services {bad}")
        if self.outcome is not None and self.outcome not in _OUTCOME_SET:
            raise ValueError(f"case #{self.id}: unknown outcome {self.outcome!r}")
        if self.rating is not None and self.rating not in RATINGS:
            raise ValueError(f"case #{self.id}: rating must be 1..5, got {self.rating!r}")
        if (self.adults or 0) < 0 or (self.children or 0) < 0:
            raise ValueError(f"case #{self.id}: household counts cannot be negative")
        if self.created_at.tzinfo is None:
            raise ValueError(f"case #{self.id}: created_at must be timezone-aware (UTC)")

    @property
    def household(self) -> tuple[int, int]:
        """(adults, children); unknown adults count as one (the person who wrote)."""
        adults = 1 if self.adults is None else self.adults
        children = self.children or 0
        if adults + children <= 0:
            return 1, 0
        return adults, children

    @property
    def individuals(self) -> int:
        """People in the household this case is about (at least 1)."""
        adults, children = self.household
        return adults + children
