"""What pledges, tolerance, joint measures and coaching do when credit's own events arrive: measures and
coaching plans follow the grade; the departments' inbox takes the measures' signed notices."""

from __future__ import annotations

from sqlmodel import Session

from core.events import Event, subscribe
from credit import coaching, measures
from credit.events import GradeChanged
from credit.trust_events import MeasureNoticeSent


@subscribe("credit.grade_changed", "credit.joint_measures")
def joint_measures(session: Session, event: Event[GradeChanged]) -> None:
    measures.follow_grade(session, event.data, event.id)


@subscribe("credit.grade_changed", "credit.coaching_progress")
def coaching_progress(session: Session, event: Event[GradeChanged]) -> None:
    coaching.follow_grade(session, event.data)


@subscribe("credit.measure_notice", "credit.department_inbox")
def department_inbox(session: Session, event: Event[MeasureNoticeSent]) -> None:
    measures.mark_delivered(session, event.data.notice_id)
