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


def seed_demo():
    seed_tree()
    seed_exams()
    nodes = {n.code: n for n in db.session.execute(select(Node)).scalars()}
    for username, role, code, last, first in DEMO_USERS:
        ensure_user(username, DEMO_PASSWORD, nodes[code], role, last, first)
    return {"units": len(nodes), "users": len(DEMO_USERS), "password": DEMO_PASSWORD}
