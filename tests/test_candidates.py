"""Candidate record through HTTP: scoping, masking, validators on the edit forms, uniqueness."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate, Guardian
from app.candidates.validators import make_id_number, mask_id_number
from app.exams.models import ZHONGZHAO, Exam
from app.extensions import db
from app.jurisdiction import Node


def text(resp):
    return resp.get_data(as_text=True)


def first_candidate(app, school_code):
    with app.app_context():
        return db.session.execute(
            select(Candidate.id, Candidate.id_number, Candidate.name).join(Node)
            .where(Node.code == school_code).order_by(Candidate.id)).first()


def exam_id(app):
    with app.app_context():
        return db.session.execute(select(Exam.id).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()


def form(app, ids, school="41010201", **over):
    birth = over.pop("birth", dt.date(2011, 5, 6))
    data = {"exam": exam_id(app), "node": ids.node(school), "name": "测试考生", "gender": "1",
            "id_number": make_id_number("410102", birth, 551), "birth_date": birth.isoformat(),
            "ethnicity": "01", "category": "01", "phone": "13812345678", "postcode": "450000"}
    data.update(over)
    return data


def test_school_staff_lists_only_own_school(login, app):
    own, other = first_candidate(app, "41010201"), first_candidate(app, "41010202")
    page = text(login("zy_school").get("/candidateview/list/?psize_CandidateView=100"))
    assert own.id_number in page
    assert other.id_number not in page and other.name not in page or other.name == own.name


def test_county_admin_sees_whole_county_not_sibling(login, app):
    page = text(login("zy_admin").get("/candidateview/list/?psize_CandidateView=100"))
    assert first_candidate(app, "41010201").id_number in page
    assert first_candidate(app, "41010202").id_number in page
    assert first_candidate(app, "41010301").id_number not in page


def test_reviewer_sees_masked_id_numbers(login, app):
    cand = first_candidate(app, "41010201")
    page = text(login("zy_reviewer").get("/candidateview/list/?psize_CandidateView=100"))
    assert cand.id_number not in page and mask_id_number(cand.id_number) in page
    show = text(login("zy_reviewer").get(f"/candidateview/show/{cand.id}"))
    assert cand.id_number not in show and mask_id_number(cand.id_number) in show


@pytest.mark.parametrize("path", ["/candidateview/show/{}", "/candidateview/edit/{}"])
def test_candidate_of_sibling_county_is_404(login, app, path):
    other = first_candidate(app, "41010301")
    own = first_candidate(app, "41010201")
    c = login("zy_admin")
    assert c.get(path.format(other.id)).status_code == 404
    assert c.get(path.format(own.id)).status_code == 200


def test_guardians_are_scoped_through_their_candidate(login, app):
    with app.app_context():
        other = db.session.execute(select(Guardian.id).join(Candidate).join(Node)
                                   .where(Node.code == "41010301")).scalars().first()
        own = db.session.execute(select(Guardian.id).join(Candidate).join(Node)
                                 .where(Node.code == "41010201")).scalars().first()
    c = login("zy_school")
    assert c.get(f"/guardianview/show/{other}").status_code == 404
    assert c.get(f"/guardianview/show/{own}").status_code == 200


def test_detail_shows_guardian_and_study_history(login, app):
    cand = first_candidate(app, "41010201")
    page = text(login("zy_school").get(f"/candidateview/show/{cand.id}"))
    assert "建国" in page and "学生" in page


def _count(app, id_number):
    with app.app_context():
        return db.session.execute(
            select(db.func.count()).select_from(Candidate).where(Candidate.id_number == id_number)
        ).scalar()


def test_staff_adds_valid_candidate(login, app, ids):
    c = login("zy_school")
    c.refresh_token("/candidateview/add")
    data = form(app, ids, birth=dt.date(2011, 2, 3))
    data["id_number"] = make_id_number("410102", dt.date(2011, 2, 3), 553)
    resp = c.post("/candidateview/add", data)
    assert resp.status_code == 302
    assert _count(app, data["id_number"]) == 1


@pytest.mark.parametrize("field,value,message", [
    ("id_number", "410102201105060001", "校验"),
    ("name", "Tom Lee", "汉字"),
    ("phone", "12345", "手机"),
])
def test_invalid_fields_are_refused(login, app, ids, field, value, message):
    c = login("zy_school")
    c.refresh_token("/candidateview/add")
    data = form(app, ids, birth=dt.date(2011, 7, 8))
    data["id_number"] = make_id_number("410102", dt.date(2011, 7, 8), 557)
    data[field] = value
    resp = c.post("/candidateview/add", data)
    assert resp.status_code == 200
    assert _count(app, data["id_number"]) == 0


def test_birth_date_must_match_id_number(login, app, ids):
    c = login("zy_school")
    c.refresh_token("/candidateview/add")
    data = form(app, ids, birth=dt.date(2011, 9, 9))
    data["id_number"] = make_id_number("410102", dt.date(2011, 9, 9), 559)
    data["birth_date"] = "2011-09-10"
    resp = c.post("/candidateview/add", data, follow_redirects=True)
    assert _count(app, data["id_number"]) == 0
    assert "出生日期" in text(resp) or "birth date" in text(resp)


def test_duplicate_id_in_other_county_names_only_the_unit(login, app, ids):
    other = first_candidate(app, "41010301")
    c = login("zy_school")
    c.refresh_token("/candidateview/add")
    birth = dt.date(int(other.id_number[6:10]), int(other.id_number[10:12]), int(other.id_number[12:14]))
    data = form(app, ids, birth=birth, id_number=other.id_number,
                gender="1" if int(other.id_number[16]) % 2 else "2")
    resp = c.post("/candidateview/add", data, follow_redirects=True)
    page = text(resp)
    assert _count(app, other.id_number) == 1
    assert "郑州市第五十六中学" in page and "41010301" not in page


def test_export_is_scoped_filtered_and_logged(login, app):
    from io import BytesIO

    from openpyxl import load_workbook

    from app.audit import AuditLog

    c = login("zy_admin")
    own, other = first_candidate(app, "41010201"), first_candidate(app, "41010301")
    csv_text = c.get("/candidateview/export/csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeff姓名,身份证号")
    assert own.id_number in csv_text and other.id_number not in csv_text
    resp = c.get(f"/candidateview/export/xlsx?_flt_0_id_number={own.id_number}")
    sheet = load_workbook(BytesIO(resp.data)).active
    values = list(sheet.values)
    assert len(values) == 2 and values[1][1] == own.id_number
    with app.app_context():
        row = db.session.execute(select(AuditLog).where(AuditLog.action == "export")
                                 .order_by(AuditLog.id.desc())).scalars().first()
        assert row.username == "zy_admin" and row.changes["rows"] == 1
        assert row.changes["format"] == "xlsx"


def test_reviewer_cannot_export(login):
    assert login("zy_reviewer").get("/candidateview/export/csv").status_code == 403
