"""Admission tickets (准考证) as data: ticket numbers, the subject timetable and the checks the
ticket screen runs. Plain functions raising the candidate validators' InvalidValue, which
``form_validator`` turns into form errors."""
import datetime as dt
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..candidates.models import Candidate
from ..validators import InvalidValue
from ..exams.models import Exam
from ..extensions import db
from .models import AdmissionTicket

TICKET_NUMBER_RE = re.compile(r"[0-9A-Z]{4,30}")
# 语文 2026-06-07 09:00-11:30 (full-width colon and dashes, 至 and ～ accepted too).
_LINE_RE = re.compile(
    r"(?P<subject>\S.*?)\s+(?P<date>\d{4}-\d{1,2}-\d{1,2})\s+"
    r"(?P<start>\d{1,2}[:：]\d{2})\s*[-－—~～至到]\s*(?P<end>\d{1,2}[:：]\d{2})")
_FMT = "%Y-%m-%d %H:%M"


def normalise_ticket_number(value):
    number = "".join(str(value or "").split()).upper()
    if not TICKET_NUMBER_RE.fullmatch(number):
        raise InvalidValue("ticket_number", _l(
            "A ticket number has 4 to 30 digits or Latin letters."))
    return number


def parse_timetable(text):
    """One subject per line, ``语文 2026-06-07 09:00-11:30`` → ``[{subject, start, end}]``
    (times as ``YYYY-MM-DD HH:MM``). Raises InvalidValue naming the first bad line."""
    rows = []
    for number, line in enumerate(str(text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        match = _LINE_RE.fullmatch(line)
        try:
            if match is None:
                raise ValueError
            day = dt.date.fromisoformat("-".join(f"{int(p):02d}" for p in
                                                 match["date"].split("-")))
            start, end = (dt.datetime.combine(day, dt.time(*map(int, match[k].replace(
                "：", ":").split(":")))) for k in ("start", "end"))
        except ValueError:
            raise InvalidValue("timetable_format", _l(
                "Timetable line %(line)d: write it as “语文 2026-06-07 09:00-11:30” (subject, "
                "date, start-end).", line=number)) from None
        if end <= start:
            raise InvalidValue("timetable_order", _l(
                "Timetable line %(line)d: the end is not after the start.", line=number))
        rows.append({"subject": match["subject"].strip(), "start": start.strftime(_FMT),
                     "end": end.strftime(_FMT)})
    return rows


def check_timetable(text):
    """The timetable text unchanged when it parses (for a form validator)."""
    parse_timetable(text)
    return text


def format_timetable(rows):
    """The editable text of a stored timetable (inverse of :func:`parse_timetable`)."""
    return "\n".join(f"{r['subject']} {r['start']}-{r['end'][-5:]}" for r in rows or [])


def number_conflict(number, exam_id, ticket_id=None):
    """Why ``number`` cannot be used (for a ticket of ``exam_id``), or None.

    Unique per exam as the exam office requires; the table is stricter (unique overall), so a
    number of another exam is refused too, naming that exam rather than failing on commit."""
    stmt = (select(AdmissionTicket.id, Candidate.exam_id, Exam.name)
            .join(Candidate, AdmissionTicket.candidate_id == Candidate.id)
            .join(Exam, Candidate.exam_id == Exam.id)
            .where(AdmissionTicket.ticket_number == number))
    if ticket_id is not None:
        stmt = stmt.where(AdmissionTicket.id != ticket_id)
    holder = db.session.execute(stmt).first()
    if holder is None:
        return None
    if holder.exam_id == exam_id:
        return _l("Ticket number %(number)s is already used in this exam.", number=number)
    return _l("Ticket number %(number)s is already used in %(exam)s.", number=number,
              exam=holder.name)

