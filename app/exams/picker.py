"""The exam picker every screen uses: which exams a user chooses from, and which is chosen
when the request names none (the newest active one, of the screen's kind if it has one)."""
from sqlalchemy import select

from ..extensions import db
from .models import Exam


def active_exams(kind=None):
    """Active exams, newest year first, then by kind; only ``kind``'s when given (a kind or a
    tuple of kinds)."""
    stmt = select(Exam).where(Exam.active.is_(True))
    if kind is not None:
        stmt = stmt.where(Exam.kind.in_((kind,) if isinstance(kind, str) else tuple(kind)))
    return db.session.execute(stmt.order_by(Exam.year.desc(), Exam.kind, Exam.id)).scalars().all()


def chosen_exam(exam_id=None, kind=None, exams=None):
    """The exam a request asks for by ``exam_id`` when it is one of the active exams (of
    ``kind``), else the first active one; None when there is none. ``exams``: the list
    :func:`active_exams` already returned for the same page."""
    exams = active_exams(kind) if exams is None else exams
    wanted = _as_id(exam_id)
    return next((e for e in exams if e.id == wanted), exams[0] if exams else None)


def named_exam(exam_id, kind=None):
    """The active exam (of ``kind``) that ``exam_id`` names, or None: for a form that acts on
    an exam, where a stale or forged id must not fall back to another exam."""
    wanted = _as_id(exam_id)
    return next((e for e in active_exams(kind) if e.id == wanted), None)


def _as_id(exam_id):
    try:
        return int(exam_id) if exam_id not in (None, "") else None
    except (TypeError, ValueError):
        return None
