"""Finding a candidate by what a clerk types or reads from paper: the system id, the ID number
or the 考生号 — always through the jurisdiction scope, so another county's candidate is simply
not found. Used by the form check (核验), the ticket and the 高考 archive screens."""
from sqlalchemy import or_, select

from ..extensions import db
from ..jurisdiction import scoped
from .models import Candidate


def find_candidates(record, exam_id=None):
    """Candidates in scope named by a system id, an ID number or a 考生号 (several exams can
    hold the same person), optionally in one exam."""
    text = "".join(str(record).split()).upper()
    if not text:
        return []
    conditions = [Candidate.id_number == text, Candidate.candidate_number == text]
    if text.isdigit() and len(text) <= 9:
        conditions.append(Candidate.id == int(text))
    stmt = select(Candidate).where(or_(*conditions)).order_by(Candidate.id)
    if exam_id is not None:
        stmt = stmt.where(Candidate.exam_id == exam_id)
    return list(db.session.execute(scoped(stmt, Candidate)).scalars())
