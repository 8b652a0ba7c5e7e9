"""高考 demo data: a few candidates of the 2026 普通高考 at every school of the demo tree (the
schools serve as 高考 registration points), most with their registration information (报名信息)
entered, some of it confirmed, one per school not yet paid, so the archive page and the
completeness report show something real. Idempotent: a school that already has 高考
candidates of the exam is left as it is."""
import datetime as dt
import decimal
import random

from sqlalchemy import select

from ..candidates.models import Candidate, StudyHistory
from ..codes import GAOKAO
from ..exams.models import Exam
from ..extensions import db
from ..jurisdiction import CITY, COUNTY, SCHOOL, Node
from ..validators import make_id_number
from . import registration_codes as rc
from .registration_models import CONFIRMED, ENTERED, GaokaoRegistration

PER_SCHOOL = 6
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "浩宇子轩雨欣思彤梓涵俊熙若彤嘉怡一鸣诗雨博文明哲"
FEE = decimal.Decimal("120.00")  # 河南 普通高考 报名考试费 (yuan), demo value


def seed_gaokao():
    """Candidates and registrations for the 2026 高考 (called from ``app.demo.seed_demo``);
    returns how many candidates it created."""
    exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO, Exam.year == 2026)
                              ).scalar_one_or_none()
    if exam is None:
        return 0
    # Descending: the last candidate seeded is 中原区's (tests and the tour open "the newest
    # candidate" as 中原区's administrator).
    schools = db.session.execute(select(Node).where(Node.kind == SCHOOL, Node.active)
                                 .order_by(Node.code.desc())).scalars().all()
    schools.sort(key=lambda n: n.code.startswith("410102"))
    seeded = set(db.session.execute(select(Candidate.node_id).where(
        Candidate.exam_id == exam.id).distinct()).scalars())
    rng = random.Random(17)
    created = 0
    for school in schools:
        region = school.parent
        if school.id in seeded or region is None or region.kind not in (COUNTY, CITY):
            continue
        for i in range(PER_SCHOOL):
            created += _seed_one(exam, school, region, i, rng)
    db.session.flush()
    return created


def _seed_one(exam, school, region, i, rng):
    seq = int(school.code[-2:]) * 100 + i + 1 if school.code[-2:].isdigit() else 9000 + i
    number = f"{exam.year % 100:02d}{region.code}{seq:06d}"
    birth = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(365))
    repeat = i == PER_SCHOOL - 1  # one 往届生 per school
    cand = Candidate(
        exam=exam, node=school, name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
        gender="1" if i % 2 else "2", birth_date=birth,
        id_number=make_id_number(region.code, birth, 500 + seq % 500), ethnicity="01",
        political_status="03", category="02" if repeat else "01",
        subject_track=rng.choice(("3", "4")), foreign_language="1",
        graduation_school=school.name, candidate_number=number,
        phone=f"15{rng.randrange(10**9):09d}", address=f"{school.name}学生宿舍{i + 1}号",
        postcode="450000", hukou=region.code, student_number=f"G{school.code}{i + 1:03d}",
        class_name="高三（1）班")
    cand.studies.append(StudyHistory(start=dt.date(2023, 9, 1), school=school.name,
                                     role="学生"))
    db.session.add(cand)
    if i == 0:
        return 1  # registration not entered yet
    school_code = school.code if school.code.isdigit() else f"{region.code}{90 + i:02d}"
    paid = i != 1  # the second candidate has not paid yet
    registration = GaokaoRegistration(
        candidate=cand, exam_id=exam.id, registration_number=number, graduation_kind="1",
        exam_type=rc.UNIFIED_EXAM, hukou_type=rng.choice(("1", "2", "3")),
        school_code=school_code[:10], application_kind="1",
        fee_state=rc.PAID if paid else rc.UNPAID, fee_amount=FEE if paid else None,
        paid_at=dt.datetime(2025, 11, 10, 9, 30) + dt.timedelta(minutes=seq) if paid else None,
        fee_recorded_by="demo", state=CONFIRMED if i >= 3 else ENTERED)
    if i >= 3:  # confirmed by the point
        registration.confirmed_at = dt.datetime(2025, 11, 20, 16, 0)
        registration.confirmed_by = "demo"
    db.session.add(registration)
    return 1
