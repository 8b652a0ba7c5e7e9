"""Rows made for a test, committed in an app context, with unique defaults. Each returns what
a test refers to the row by: an id, a username, or for the candidates a test logs in as on /me/
their ``(id, id_number)`` (also ``.id`` and ``.id_number``). Every test module has a
database of its own (conftest.py), so "unique" means within the module's copy of the demo data:
ID numbers are checked against the database, names carry a counter or a random part."""
import datetime as dt
import itertools
import uuid
from typing import NamedTuple

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.adult import rules
from app.candidates.models import Candidate, Guardian, Preference, StudyHistory
from app.demo import DEMO_PASSWORD
from app.codes import ADULT, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase
from app.security import KsUser
from app.validators import make_id_number

#: odd (male) sequence numbers; 9xx are left for numbers a test wants unused.
_seq = itertools.cycle(range(501, 900, 2))
_years = itertools.count(2101)


class Made(NamedTuple):
    id: int
    id_number: str


def unused_id_number(region, birth):
    """A valid ID number for ``region`` and ``birth`` that no candidate has yet (in an app
    context)."""
    for _ in range(200):
        number = make_id_number(region, birth, next(_seq))
        if not db.session.execute(select(Candidate.id).where(
                Candidate.id_number == number)).first():
            return number
    raise AssertionError(f"no unused ID number left for {region} {birth}")


def _node(code):
    return db.session.execute(select(Node).where(Node.code == code)).scalar_one()


def _exam(kind, year):
    return db.session.execute(
        select(Exam).where(Exam.kind == kind, Exam.year == year)).scalar_one()


def make_candidate(app, school="41010201", kind=ZHONGZHAO, year=2026, name="测试考生",
                   birth=dt.date(2011, 6, 1), category="01", guardian=None, study=False,
                   **fields):
    """A candidate of the demo exam of ``kind`` and ``year`` at ``school`` (a node code), with
    an unused ID number of the school's county, ``fields`` set, a guardian named ``guardian``
    and a study period when asked; returns its id."""
    return _candidate(app, school, kind, year, name, birth, category, guardian, study,
                      **fields).id


def _candidate(app, school, kind, year, name, birth, category, guardian=None, study=False,
               **fields):
    with app.app_context():
        region = school[:6] if school[:6].isdigit() else school[2:8]
        cand = Candidate(exam=_exam(kind, year), node=_node(school), name=name, gender="1",
                         birth_date=birth, id_number=unused_id_number(region, birth),
                         category=category, **fields)
        if guardian:
            cand.guardians.append(Guardian(name=guardian, relation="51", phone="13900002222"))
        if study:
            cand.studies.append(StudyHistory(start=dt.date(2023, 9, 1), school="第五十七中学"))
        db.session.add(cand)
        db.session.commit()
        return Made(cand.id, cand.id_number)


def self_service_candidate(app, school="41010201", name="自助考生", guardian=True, **fields):
    """A 2026 中招 candidate complete enough to confirm on /me/: a phone, a study period and
    (unless ``guardian`` is False) a guardian; returns (id, id_number)."""
    return _candidate(app, school, ZHONGZHAO, 2026, name, dt.date(2011, 6, 1), "01",
                      phone="13800001111", study=True, guardian="自助家长" if guardian else None,
                      **fields)


def adult_candidate(app, unit="41010201", category="01", minor=False, name="成考考生", prefs=()):
    """A 2026 成人高考 candidate at ``unit`` (a node code), under 17 on the exam's reference
    date when ``minor``, with ``prefs`` (dicts of Preference fields) stored; returns
    (id, id_number)."""
    with app.app_context():
        exam = _exam(ADULT, 2026)
        ref = rules.age_reference_date(exam)
        birth = dt.date(ref.year - 16, 1, 1) if minor else dt.date(1995, 4, 18)
        cand = Candidate(exam_id=exam.id, node=_node(unit), name=name, gender="1",
                         birth_date=birth, id_number=unused_id_number("410102", birth),
                         category=category, phone="13600001111")
        cand.preferences += [Preference(**p) for p in prefs]
        db.session.add(cand)
        db.session.commit()
        return Made(cand.id, cand.id_number)


def make_exam(app, kind=ZHONGZHAO, year=None, name=None, active=True):
    """An exam of its own (a year no demo exam uses, unless given); returns its id."""
    year = year or next(_years)
    with app.app_context():
        exam = Exam(kind=kind, year=year, name=name or f"{year}年测试考试", active=active)
        db.session.add(exam)
        db.session.commit()
        return exam.id


def make_phase(app, exam, activity, start, end, category=None, name="测试窗口"):
    """A window of ``activity`` for exam id ``exam``; returns its id."""
    with app.app_context():
        phase = Phase(exam_id=exam, activity=activity, category=category, name=name,
                      start=start, end=end)
        db.session.add(phase)
        db.session.commit()
        return phase.id


def make_user(app, node="41010201", role="school_staff", username=None,
              password=DEMO_PASSWORD):
    """A staff user at ``node`` (a code) with ``role``; returns its username (log in with the
    ``login`` fixture)."""
    username = username or f"u_{uuid.uuid4().hex[:8]}"
    with app.app_context():
        user = KsUser(username=username, first_name="测试", last_name="用户",
                      email=f"{username}@example.invalid", active=True, node=_node(node),
                      roles=[app.appbuilder.sm.find_role(role)],
                      password=generate_password_hash(
                          password, method=app.config["FAB_PASSWORD_HASH_METHOD"]))
        db.session.add(user)
        db.session.commit()
    return username
