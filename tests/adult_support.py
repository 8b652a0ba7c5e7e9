"""成人高考 test steps shared by the modules that seat candidates (test_adult_logistics,
test_adult_seating): a candidate with a preference, a phase window, a numbering run and the
tickets issued. Not a test module."""
import datetime as dt
import itertools

from sqlalchemy import select

from app.adult.models import AdultPayment
from app.candidates.models import Candidate, Preference
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase
from app.printing.models import AdmissionTicket
from app.validators import make_id_number
from helpers import exam_id, text

OPEN = (dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1))
#: A complete /me/adult/info form (基本信息) of a candidate born before 1998.
BASIC_INFO = {"ethnicity": "01", "political_status": "13", "candidate_feature": "02",
              "enrolment_type": "01", "education_level": "60",
              "graduation_school": "郑州市第一中学", "graduation_date": "2013-06-30",
              "diploma_number": "4101022013000123", "medical_license": "",
              "occupation": "4", "work_start": "2014-03-01", "foreign_language": "1",
              "address": "郑州市中原区建设路1号", "postcode": "450000"}
CLOSED = (dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2))
_seq = itertools.count(11, 2)
_number = itertools.count(1)


def window(app, activity, span):
    """Set ``activity``'s window of the 2026 成人高考 (the module owns its database)."""
    with app.app_context():
        eid = exam_id(app, ADULT)
        phase = db.session.execute(select(Phase).where(
            Phase.exam_id == eid, Phase.activity == activity)).scalar_one()
        phase.start, phase.end = span
        db.session.commit()


def make(app, point="BM410102", state="school_approved", level="02", track="1", major="02",
         name="成考生", paid=False):
    """A 2026 成人高考 candidate at ``point`` with a first preference; returns (id, 考生号,
    ID number)."""
    with app.app_context():
        exam = db.session.get(Exam, exam_id(app, ADULT))
        node = db.session.execute(select(Node).where(Node.code == point)).scalar_one()
        birth = dt.date(1995, 3, 4)
        number = f"26{node.parent.code}9{next(_number):05d}"
        cand = Candidate(exam=exam, node=node, name=name, gender="1", birth_date=birth,
                         id_number=make_id_number(node.parent.code, birth, next(_seq)),
                         category=level, candidate_number=number, state=state,
                         phone="13700000000")
        cand.preferences.append(Preference(
            seq=1, level=level, track=None if level == "03" else track, major_category=major,
            study_form="3", school_code="10459", school_name="郑州大学", major_code="120203",
            major_name="会计学"))
        db.session.add(cand)
        db.session.flush()
        if paid:
            db.session.add(AdultPayment(candidate_id=cand.id, amount=160,
                                        paid_at=dt.datetime(2026, 9, 5, 10),
                                        transaction_id=f"T{cand.id:08d}"))
        db.session.commit()
        return cand.id, number, cand.id_number


def numbering(client, exam, renumber=False):
    client.refresh_token(f"/adult/numbering/?exam={exam}")
    resp = client.post("/adult/numbering/run", {"exam": exam, "renumber": "1" if renumber
                                                else ""})
    assert resp.status_code == 302
    client.run_jobs()
    return text(client.get(resp.location))


def tickets(app):
    with app.app_context():
        return {t.candidate_id: (t.ticket_number, t.site, t.room, t.seat, t.timetable)
                for t in db.session.execute(select(AdmissionTicket)).scalars()}
