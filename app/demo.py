"""Demo data: 河南省 with real division codes, schools, points, exams and one user per role.

Every demo user's password is DEMO_PASSWORD (documented in README.md); idempotent.
"""
from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .extensions import db
from .jurisdiction import CITY, COUNTY, POINT, PROVINCE, SCHOOL, Node, make_path

DEMO_PASSWORD = "Demo-2026-ks"

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
    ("henan_admin", "province_admin", "410000", "省招办", "管理员"),
    ("henan_auditor", "auditor", "410000", "省纪检", "审计员"),
    ("zz_admin", "city_admin", "410100", "郑州市", "管理员"),
    ("zz_reviewer", "city_reviewer", "410100", "郑州市", "审核员"),
    ("zy_admin", "county_admin", "410102", "中原区", "管理员"),
    ("zy_reviewer", "county_reviewer", "410102", "中原区", "审核员"),
    ("zy_clerk", "exam_clerk", "410102", "中原区", "体检录入员"),
    ("eq_admin", "county_admin", "410103", "二七区", "管理员"),
    ("zy_school", "school_staff", "41010201", "五十七中", "采集员"),
    ("zy_school_reviewer", "school_reviewer", "41010201", "五十七中", "审核员"),
    ("zy_point", "point_staff", "BM410102", "中原区报名点", "采集员"),
    ("eq_school", "school_staff", "41010301", "五十六中", "采集员"),
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
    from .exams.models import ADULT, GAOKAO, ZHONGZHAO, Exam

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
    import datetime as dt
    import random

    from .candidates.models import Candidate, Guardian, StudyHistory
    from .candidates.validators import make_id_number
    from .exams.models import ZHONGZHAO, Exam

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
    phases = seed_phases()
    return {"units": len(nodes), "users": len(DEMO_USERS), "candidates created": created,
            "phases created": phases,
            "password": DEMO_PASSWORD}


def seed_phases():
    """Windows of the active 2026 exams (open now for the demo) plus the real published
    calendars: Henan 2022 中招 collection (seed 001) and Hunan 2019 成人高考 (seed 004)."""
    import datetime as dt

    from .exams.models import ADULT, ZHONGZHAO, Exam
    from .phases.models import Phase

    def exam(kind, year, name):
        found = db.session.execute(select(Exam).where(Exam.kind == kind, Exam.year == year)).scalar_one_or_none()
        if found is None:
            found = Exam(kind=kind, year=year, name=name, active=year >= 2026)
            db.session.add(found)
            db.session.flush()
        return found

    def d(y, m, day, h=0, mi=0):
        return dt.datetime(y, m, day, h, mi)

    henan22 = exam(ZHONGZHAO, 2022, "2022年河南省初中学业水平考试")
    hunan19 = exam(ADULT, 2019, "2019年湖南省成人高等学校招生考试")
    zk26 = exam(ZHONGZHAO, 2026, "2026年河南省初中学业水平考试")
    calendars = {
        henan22.id: [
            ("staff_entry", "01", "九年级学籍户籍一致学生信息采集", d(2022, 3, 1, 9), d(2022, 3, 25, 17)),
            ("self_registration", "01", "九年级考生完善并确认信息", d(2022, 3, 1, 9), d(2022, 3, 25, 17)),
            ("staff_entry", "02", "回户籍地报考学生在指定报名点采集", d(2022, 3, 26, 9), d(2022, 3, 31, 17)),
            ("staff_entry", "04", "八年级学生信息采集", d(2022, 4, 1, 9), d(2022, 4, 20, 17)),
        ],
        hunan19.id: [
            ("user_setup", None, "注册用户、绑定组别、分配角色", d(2019, 8, 1), d(2019, 8, 27, 23, 59)),
            ("point_setup", None, "确定报名确认点（含医卫类、低龄审核点）", d(2019, 8, 28), d(2019, 8, 30, 23, 59)),
            ("self_registration", None, "考生网上报名", d(2019, 9, 2), d(2019, 9, 11, 23, 59)),
            ("confirmation", None, "现场确认报名信息", d(2019, 9, 2, 8), d(2019, 9, 11, 18)),
            ("payment", None, "网上支付报名考试考务费", d(2019, 9, 2), d(2019, 9, 11, 23, 59)),
            ("unpaid_check", None, "核实已确认未缴费考生情况", d(2019, 9, 19), d(2019, 9, 20, 23, 59)),
            ("exemption_review", None, "审核免试入学考生资格", d(2019, 9, 12), d(2019, 9, 28, 23, 59)),
            ("bonus_entry", None, "审核录入照顾加分及报名数据上报", d(2019, 9, 12), d(2019, 9, 30, 23, 59)),
            ("ticket_numbering", None, "编排考生准考证号码", d(2019, 10, 1), d(2019, 10, 15, 23, 59)),
            ("ticket_print", None, "打印考务资料、考生打印准考证", d(2019, 10, 17), d(2019, 10, 27, 23, 59)),
        ],
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
        if db.session.execute(select(Phase.id).where(Phase.exam_id == exam_id)).first():
            continue
        for activity, category, name, start, end in rows:
            db.session.add(Phase(exam_id=exam_id, activity=activity, category=category, name=name,
                                 start=start, end=end))
            created += 1
    db.session.flush()
    return created
