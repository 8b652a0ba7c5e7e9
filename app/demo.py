"""Demo data: 河南省 with real division codes, schools, points, exams and one user per role.

Every demo user's password is DEMO_PASSWORD (documented in README.md); idempotent.
"""
import datetime as dt
import random

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .adult.demo import seed_adult
from .gaokao.demo import seed_gaokao  # greg
from .candidates.models import Candidate, Guardian, StudyHistory
from .codes import ADULT, GAOKAO, ZHONGZHAO
from .exams.models import Exam
from .extensions import db
from .jurisdiction import CITY, COUNTY, POINT, PROVINCE, SCHOOL, Node, make_path
from .phases.models import Phase
from .points.demo import seed_points
from .selfservice.auth import make_hash, normalise_answer
from .selfservice.models import CandidateAccount
from .security import (AUDITOR, CITY_ADMIN, CITY_REVIEWER, COUNTY_ADMIN, COUNTY_REVIEWER,
                       EXAM_CLERK, POINT_STAFF, PROVINCE_ADMIN, SCHOOL_REVIEWER, SCHOOL_STAFF)
from .validators import make_id_number

DEMO_PASSWORD = "Demo-2026-ks"
#: Two activated self-service accounts, so the candidate pages can be tried at once: a 中招
#: candidate of 郑州市中原区外国语中学 (its last demo candidate) and the 成人高考 candidate with
#: 考生号 26410102000001. Real candidates always choose their own password (activation code).
DEMO_CANDIDATE_PASSWORD = "Kaosheng-Demo-2026"
DEMO_CANDIDATE_SCHOOL = "41010202"
DEMO_ADULT_CANDIDATE_NUMBER = "26410102000001"

PROVINCE_TREE = ("410000", "河南省", [
    ("410100", "郑州市", [
        ("410102", "中原区", ["郑州市第五十七中学", "郑州市中原区外国语中学"]),
        ("410103", "二七区", ["郑州市第五十六中学", "郑州市二七区实验中学"]),
        ("410105", "金水区", ["郑州市第八中学", "郑州市金水区实验中学"]),
    ]),
    ("410300", "洛阳市", [
        ("410302", "老城区", ["洛阳市第五中学", "洛阳市老城区实验中学"]),
        ("410305", "涧西区", ["洛阳市第二中学", "洛阳市东升第二中学"]),
    ]),
    ("419001", "济源示范区", []),
])
#: schools directly under a city (直属学校).
CITY_SCHOOLS = {"410100": [("410100S1", "郑州外国语学校")], "419001": [("419001S1", "济源第一中学")]}

# (username, role, node code, surname, given name)
DEMO_USERS = [
    ("henan_admin", PROVINCE_ADMIN, "410000", "省招办", "管理员"),
    ("henan_auditor", AUDITOR, "410000", "省纪检", "审计员"),
    ("zz_admin", CITY_ADMIN, "410100", "郑州市", "管理员"),
    ("zz_reviewer", CITY_REVIEWER, "410100", "郑州市", "审核员"),
    ("zy_admin", COUNTY_ADMIN, "410102", "中原区", "管理员"),
    ("zy_reviewer", COUNTY_REVIEWER, "410102", "中原区", "审核员"),
    ("zy_clerk", EXAM_CLERK, "410102", "中原区", "体检录入员"),
    ("eq_admin", COUNTY_ADMIN, "410103", "二七区", "管理员"),
    ("zy_school", SCHOOL_STAFF, "41010201", "五十七中", "采集员"),
    ("zy_school_reviewer", SCHOOL_REVIEWER, "41010201", "五十七中", "审核员"),
    ("zy_point", POINT_STAFF, "BM410102", "中原区报名点", "采集员"),
    ("zy_point_reviewer", SCHOOL_REVIEWER, "BM410102", "中原区报名点", "审核员"),
    ("eq_school", SCHOOL_STAFF, "41010301", "五十六中", "采集员"),
    # A school directly under the city (直属学校): its review goes school → city.
    ("zzfl_school", SCHOOL_STAFF, "410100S1", "郑州外国语", "采集员"),
    ("zzfl_reviewer", SCHOOL_REVIEWER, "410100S1", "郑州外国语", "审核员"),
]


def ensure_node(parent, code, name, kind):
    node = db.session.execute(select(Node).where(Node.code == code)).scalar_one_or_none()
    if node is None:
        node = Node(code=code, name=name, kind=kind, parent=parent, path=make_path(parent, code),
                    active=True)
        db.session.add(node)
        db.session.flush()
    return node


def ensure_user(username, password, node, role_name, last_name, first_name):
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.user_model(
            username=username, first_name=first_name, last_name=last_name,
            email=f"{username}@demo.kaosheng.invalid", active=True,
            password=generate_password_hash(
                password, method=current_app.config["FAB_PASSWORD_HASH_METHOD"]),
        )
        db.session.add(user)
    user.node = node
    user.roles = [sm.find_role(role_name)]
    db.session.flush()
    return user


def seed_tree():
    code, name, cities = PROVINCE_TREE
    root = ensure_node(None, code, name, PROVINCE)
    for city_code, city_name, counties in cities:
        city = ensure_node(root, city_code, city_name, CITY)
        for school_code, school_name in CITY_SCHOOLS.get(city_code, []):
            ensure_node(city, school_code, school_name, SCHOOL)
        for county_code, county_name, schools in counties:
            county = ensure_node(city, county_code, county_name, COUNTY)
            for i, school_name in enumerate(schools, start=1):
                ensure_node(county, f"{county_code}{i:02d}", school_name, SCHOOL)
            ensure_node(county, f"BM{county_code}", f"{county_name}报名点", POINT)
    return root


def seed_exams():
    wanted = [(ZHONGZHAO, 2026, "2026年河南省初中学业水平考试"),
              (GAOKAO, 2026, "2026年河南省普通高校招生考试"),
              (ADULT, 2026, "2026年河南省成人高等学校招生考试")]
    for kind, year, name in wanted:
        exists = db.session.execute(
            select(Exam).where(Exam.kind == kind, Exam.year == year)).scalar_one_or_none()
        if exists is None:
            db.session.add(Exam(kind=kind, year=year, name=name, active=True))
    db.session.flush()


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "子涵浩然欣怡梓轩雨桐一诺宇轩思远佳怡俊杰梦琪家豪诗涵明轩若曦博文嘉怡天佑雅静志强晓燕"
CANDIDATES_PER_SCHOOL = 25


def seed_candidates(per_school=CANDIDATES_PER_SCHOOL):
    """A reproducible class of 中招 candidates per school, each with a guardian and a study period."""
    exam = db.session.execute(select(Exam).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalars().first()
    if db.session.execute(select(Candidate.id).where(Candidate.exam_id == exam.id)).first():
        return 0
    rng = random.Random(2026)
    schools = db.session.execute(
        select(Node).where(Node.kind == SCHOOL).order_by(Node.code)).scalars().all()
    created = 0
    for school in schools:
        region = school.code[:6] if school.code[:6].isdigit() else "410102"
        for i in range(per_school):
            birth = dt.date(2011, 1, 1) + dt.timedelta(days=rng.randrange(365))
            seq = rng.randrange(100, 999)
            gender = "1" if seq % 2 else "2"
            name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
            cand = Candidate(
                exam=exam, node=school, name=name, gender=gender, birth_date=birth,
                id_number=make_id_number(region, birth, seq), ethnicity="01",
                political_status="03", category="01", phone=f"13{rng.randrange(10**9):09d}",
                address=f"{school.name}附近{i + 1}号", postcode="450000", hukou=region,
                student_number=f"{school.code}{i + 1:04d}")
            cand.guardians.append(Guardian(name=rng.choice(SURNAMES) + "建国", relation="51",
                                           phone=f"139{rng.randrange(10**8):08d}",
                                           work_unit="郑州市某单位"))
            cand.studies.append(StudyHistory(start=dt.date(2023, 9, 1), school=school.name,
                                             role="学生"))
            db.session.add(cand)
            created += 1
    db.session.flush()
    return created


def seed_demo():
    seed_tree()
    seed_exams()
    nodes = {n.code: n for n in db.session.execute(select(Node)).scalars()}
    for username, role, code, last, first in DEMO_USERS:
        ensure_user(username, DEMO_PASSWORD, nodes[code], role, last, first)
    created = seed_candidates()
    created += seed_adult()
    phases = seed_phases()
    seed_points()
    logins = seed_candidate_accounts()
    created += seed_gaokao()  # greg: 高考 candidates and registrations
    return {"units": len(nodes), "users": len(DEMO_USERS), "candidates created": created,
            "phases created": phases, "password": DEMO_PASSWORD,
            "candidate logins (/me/)": ", ".join(logins),
            "candidate password": DEMO_CANDIDATE_PASSWORD}


def seed_candidate_accounts():
    """Activate the two demo candidate accounts (see DEMO_CANDIDATE_PASSWORD); an account that
    exists already is left alone. Returns the identifiers they log in with."""
    school = select(Node.id).where(Node.code == DEMO_CANDIDATE_SCHOOL).scalar_subquery()
    pupil = db.session.execute(select(Candidate).where(
        Candidate.node_id == school,  # greg: the 中招 pupil, not a 高考 candidate of the school
        Candidate.exam_id.in_(select(Exam.id).where(Exam.kind == ZHONGZHAO)))
        .order_by(Candidate.id.desc()).limit(1)).scalar_one_or_none()
    adult = db.session.execute(select(Candidate).where(
        Candidate.candidate_number == DEMO_ADULT_CANDIDATE_NUMBER)).scalar_one_or_none()
    logins = []
    for cand, login in ((pupil, pupil and pupil.id_number),
                        (adult, DEMO_ADULT_CANDIDATE_NUMBER)):
        if cand is None:
            continue
        logins.append(login)
        if db.session.execute(select(CandidateAccount.id).where(
                CandidateAccount.candidate_id == cand.id)).first():
            continue
        db.session.add(CandidateAccount(
            candidate_id=cand.id, password_hash=make_hash(DEMO_CANDIDATE_PASSWORD),
            recovery_question="我就读小学的名称",
            recovery_answer_hash=make_hash(normalise_answer("演示小学"))))
    db.session.flush()
    return logins


#: Henan 2022 中招 collection windows (seed 001, 教办基〔2022〕47号 §一): who, categories, window.
#: 03 随迁子女 register where their school record is, with the grade-9 students; 社会考生 (05)
#: have no window of their own in the notice, so they use the whole collection period
#: (3/1–4/20) at the designated points of their registration locality.
HENAN_2022_COLLECTION = (
    (("01", "03"), "九年级学籍所在地报考学生", (2022, 3, 1, 9), (2022, 3, 25, 17)),
    (("02",), "回户籍地报考学生（户籍地指定报名点）", (2022, 3, 26, 9), (2022, 3, 31, 17)),
    (("04",), "八年级学生", (2022, 4, 1, 9), (2022, 4, 20, 17)),
    (("05",), "社会考生（报名地指定报名点）", (2022, 3, 1, 9), (2022, 4, 20, 17)),
)
#: What each collection window opens: staff/registry entry, the candidate's own completion and
#: confirmation, and photo/ID capture (all part of 信息采集 in the notice).
COLLECTION_ACTIVITIES = (("staff_entry", "信息采集"), ("self_registration", "考生完善并确认信息"),
                         ("photo_capture", "照片和证件采集"))
#: Hunan 2019 成人高考 calendar (seed 004 §三) as day offsets from registration's first day
#: (9/2): (activity, name, first day, last day, opening hour, closing hour).
ADULT_CALENDAR = (
    ("user_setup", "注册用户、绑定组别、分配角色", -32, -6, 0, 24),
    ("point_setup", "确定报名确认点（含医卫类、低龄审核点）", -5, -3, 0, 24),
    ("self_registration", "考生网上报名", 0, 9, 0, 24),
    ("confirmation", "现场确认报名信息", 0, 9, 8, 18),
    ("payment", "网上支付报名考试考务费", 0, 9, 0, 24),
    ("unpaid_check", "核实已确认未缴费考生情况", 17, 18, 0, 24),
    ("exemption_review", "审核免试入学考生资格", 10, 26, 0, 24),
    ("bonus_entry", "审核录入照顾加分及报名数据上报", 10, 28, 0, 24),
    ("ticket_numbering", "编排考生准考证号码", 29, 43, 0, 24),
    ("ticket_print", "打印考务资料、考生打印准考证", 45, 55, 0, 24),
)
ADULT_EXAM_DAY = 54  # 2019: first exam day 10/26
#: The 2026 成人高考 demo calendar starts registration this many days before the seeding day,
#: and lasts this many days, so registration, confirmation and payment are open in the demo.
DEMO_ADULT_OPENED_DAYS_AGO = 7
DEMO_ADULT_REGISTRATION_DAYS = 38
#: First exam days of the 2026 中招 and 高考 (Henan's usual dates).
ZHONGZHAO_2026_DAY, GAOKAO_2026_DAY = (2026, 6, 26), (2026, 6, 7)


def adult_calendar(first_day, registration_days=10):
    """[(activity, category, name, start, end)] of seed 004's calendar with registration
    starting on ``first_day`` and lasting ``registration_days`` (the later steps keep their
    distance from registration's end), plus the first exam day."""
    stretch = registration_days - 10  # 9/2–9/11 are ten days: offsets from 9 on move

    def day(offset):
        return first_day + dt.timedelta(days=offset + (stretch if offset >= 9 else 0))

    def at(offset, hour):
        return dt.datetime.combine(day(offset), dt.time(23, 59) if hour == 24 else dt.time(hour))

    rows = [(activity, None, name, at(first, opens), at(last, closes))
            for activity, name, first, last, opens, closes in ADULT_CALENDAR]
    return rows, day(ADULT_EXAM_DAY)


def seed_phases(today=None):
    """Published calendars plus usable windows for the 2026 exams. Idempotent per (exam,
    activity, category): a window that exists (perhaps edited by an administrator) is kept.

    - Henan 2022 中招 collection (seed 001), every category with its windows;
    - Hunan 2019 成人高考 (seed 004);
    - 2026 中招: open all year for the demo; 2026 成人高考: seed 004's calendar laid out around
      the seeding day, so registration, confirmation and payment are open now.
    """

    def exam(kind, year, name):
        found = db.session.execute(select(Exam).where(Exam.kind == kind, Exam.year == year)).scalar_one_or_none()
        if found is None:
            found = Exam(kind=kind, year=year, name=name, active=year >= 2026)
            db.session.add(found)
            db.session.flush()
        return found

    def d(y, m, day, h=0, mi=0):
        return dt.datetime(y, m, day, h, mi)

    today = today or dt.date.today()
    henan22 = exam(ZHONGZHAO, 2022, "2022年河南省初中学业水平考试")
    hunan19 = exam(ADULT, 2019, "2019年湖南省成人高等学校招生考试")
    zk26 = exam(ZHONGZHAO, 2026, "2026年河南省初中学业水平考试")
    adult26 = exam(ADULT, 2026, "2026年河南省成人高等学校招生考试")
    gk26 = exam(GAOKAO, 2026, "2026年河南省普通高校招生考试")
    hunan19_rows, hunan19_day = adult_calendar(dt.date(2019, 9, 2))
    adult26_rows, adult26_day = adult_calendar(
        today - dt.timedelta(days=DEMO_ADULT_OPENED_DAYS_AGO), DEMO_ADULT_REGISTRATION_DAYS)
    for found, day in ((hunan19, hunan19_day), (adult26, adult26_day),
                       (zk26, dt.date(*ZHONGZHAO_2026_DAY)), (gk26, dt.date(*GAOKAO_2026_DAY))):
        found.exam_date = found.exam_date or day
    calendars = {
        henan22.id: [
            (activity, category, f"{who}{what}", d(*start), d(*end))
            for categories, who, start, end in HENAN_2022_COLLECTION
            for category in categories for activity, what in COLLECTION_ACTIVITIES
        ],
        hunan19.id: hunan19_rows,
        adult26.id: adult26_rows,
        zk26.id: [
            (activity, None, label, d(2026, 3, 1, 9), d(2026, 12, 31, 17))
            for activity, label in (("staff_entry", "学校信息采集"), ("self_registration", "考生完善并确认信息"),
                                    ("photo_capture", "照片采集"), ("confirmation", "签字确认"),
                                    ("school_review", "学校初审"), ("county_review", "县区审核"),
                                    ("city_review", "市级确认"))
        ],
    }
    created = 0
    for exam_id, rows in calendars.items():
        existing = {(activity, category) for activity, category in db.session.execute(
            select(Phase.activity, Phase.category).where(Phase.exam_id == exam_id))}
        for activity, category, name, start, end in rows:
            if (activity, category) in existing:
                continue
            db.session.add(Phase(exam_id=exam_id, activity=activity, category=category, name=name,
                                 start=start, end=end))
            created += 1
    db.session.flush()
    return created
