"""Background job of the ticket numbering (编排准考证号); takes ids only (see app/jobs.py)."""
from flask_babel import force_locale

from ..exams.models import Exam
from ..extensions import db
from ..jobs import report_progress
from ..phases.rules import PhaseClosed, check_open
from ..security import KsUser
from .numbering import run_numbering


def number_tickets(exam_id, user_id, renumber=False, locale="zh"):
    """Seat and number the exam's paid, confirmed candidates in the user's subtree. Safe to
    run again: seats and numbers already issued stay unless ``renumber``. Returns the summary
    (``problems`` non-empty and nothing written when the window is closed or seats run out)."""
    exam = db.session.get(Exam, exam_id)
    user = db.session.get(KsUser, user_id)
    with force_locale(locale):
        try:
            # Asked again here: the job may start after the window closed.
            check_open("ticket_numbering", exam.id)
        except PhaseClosed as exc:
            return {"problems": [str(exc)]}
        result = run_numbering(exam, user.node, user, renumber, report_progress)
        return result.as_dict()
