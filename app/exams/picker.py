"""The exam picker every screen uses: which exams a user chooses from, and which is chosen
when the request names none (the newest active one, of the screen's kind if it has one)."""
from sqlalchemy import case, select

from ..codes import EXAM_KINDS
from ..extensions import db
from .models import Exam

#: Kinds in the order of app/codes.py (中招, 高考, 成人高考), not alphabetically: a picker
#: without a kind of its own opens on the year's 中招.
_KIND_ORDER = case({code: i for i, (code, _zh, _en) in enumerate(EXAM_KINDS)}, value=Exam.kind,
                   else_=len(EXAM_KINDS))


def active_exams(kind=None):
    """Active exams, newest year first, then by kind (in the order of app/codes.py); only
    ``kind``'s when given (a kind or a tuple of kinds)."""
    stmt = select(Exam).where(Exam.active.is_(True))
    if kind is not None:
        stmt = stmt.where(Exam.kind.in_((kind,) if isinstance(kind, str) else tuple(kind)))
    return db.session.execute(stmt.order_by(Exam.year.desc(), _KIND_ORDER, Exam.id)).scalars().all()


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
