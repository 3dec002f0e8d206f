"""What storage keeps, as plain records: storage depends on no use case and no route.

The CDS feedback parser (`service.cds.feedback`) produces these; the backends store them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """One CDS Hooks feedback item as checked (`service.cds.feedback`) and stored; the
    user's comment is kept out of `repr`, so no log or error shows it."""

    card: str
    outcome: str
    outcome_timestamp: str
    outcome_timestamp_utc: str
    accepted_suggestions: tuple[str, ...] = ()
    reason_system: str | None = None
    reason_code: str | None = None
    reason_display: str | None = None
    user_comment: str | None = field(default=None, repr=False)
