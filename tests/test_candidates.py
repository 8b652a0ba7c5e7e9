"""Candidate record through HTTP: scoping, masking, validators on the edit forms, uniqueness."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate, Guardian, StudyHistory
from app.validators import make_id_number, mask_id_number
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from helpers import exam_id, text


def first_candidate(app, school_code):
    with app.app_context():
        return db.session.execute(
            select(Candidate.id, Candidate.id_number, Candidate.name).join(Node)
            .where(Node.code == school_code).order_by(Candidate.id)).first()


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


def test_staff_adds_valid_candidate(school_staff, app, ids):
    school_staff.refresh_token("/candidateview/add")
    data = form(app, ids, birth=dt.date(2011, 2, 3))
    data["id_number"] = make_id_number("410102", dt.date(2011, 2, 3), 553)
    resp = school_staff.post("/candidateview/add", data)
    assert resp.status_code == 302
    assert _count(app, data["id_number"]) == 1


@pytest.mark.parametrize("field,value,message", [
    ("id_number", "410102201105060001", "校验"),
    ("name", "Tom Lee", "汉字"),
    ("phone", "12345", "手机"),
])
def test_invalid_fields_are_refused(school_staff, app, ids, field, value, message):
    school_staff.refresh_token("/candidateview/add")
    data = form(app, ids, birth=dt.date(2011, 7, 8))
    data["id_number"] = make_id_number("410102", dt.date(2011, 7, 8), 557)
    data[field] = value
    resp = school_staff.post("/candidateview/add", data)
    assert resp.status_code == 200
    assert _count(app, data["id_number"]) == 0


def test_birth_date_must_match_id_number(school_staff, app, ids):
    school_staff.refresh_token("/candidateview/add")
    data = form(app, ids, birth=dt.date(2011, 9, 9))
    data["id_number"] = make_id_number("410102", dt.date(2011, 9, 9), 559)
    data["birth_date"] = "2011-09-10"
    resp = school_staff.post("/candidateview/add", data, follow_redirects=True)
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


# --- helpers for records made by the tests below ------------------------------------------

def new_candidate(app, kind="zhongzhao", school="41010201", birth=dt.date(2007, 8, 1), **fields):
    """Store a candidate of the 2026 exam of ``kind`` with an unused ID number; return its id."""
    from app.candidates.models import Preference

    preferences = fields.pop("preferences", ())
    fields.setdefault("gender", "1")
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == kind, Exam.year == 2026)).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == school)).scalar_one()
        taken = set(db.session.execute(select(Candidate.id_number).where(
            Candidate.exam_id == exam.id, Candidate.birth_date == birth)).scalars())
        seq = next(s for s in range(601 if fields["gender"] == "1" else 602, 999, 2)
                   if make_id_number("410102", birth, s) not in taken)
        cand = Candidate(exam=exam, node=node, name="测试考生", birth_date=birth,
                         id_number=make_id_number("410102", birth, seq), **fields)
        cand.preferences = [Preference(**p) for p in preferences]
        cand.guardians.append(Guardian(name="测试家长", relation="51"))
        cand.studies.append(StudyHistory(start=dt.date(2020, 9, 1), school="测试小学"))
        db.session.add(cand)
        db.session.commit()
        return cand.id


def set_locked(app, candidate_id, locked=True):
    with app.app_context():
        db.session.get(Candidate, candidate_id).locked = locked
        db.session.commit()


def parts(app, candidate_id):
    with app.app_context():
        cand = db.session.get(Candidate, candidate_id)
        return ([(g.id, g.name, g.phone) for g in cand.guardians],
                [(s.id, s.school) for s in cand.studies])


# --- 考生号, class, filters -------------------------------------------------------------

def test_list_shows_number_and_class_and_filters_by_them(login, app):
    a = new_candidate(app, candidate_number="26410102990001", class_name="九年级（3）班")
    b = new_candidate(app, class_name="九年级（4）班")
    c = login("zy_school")
    page = text(c.get("/candidateview/list/?_flt_0_class_name=九年级（3）班"))
    assert "26410102990001" in page and "九年级（3）班" in page
    assert f"/candidateview/show/{b}" not in page
    page = text(c.get("/candidateview/list/?_flt_0_candidate_number=26410102990001"))
    assert f"/candidateview/show/{a}" in page and f"/candidateview/show/{b}" not in page
    show = text(c.get(f"/candidateview/show/{a}"))
    assert "26410102990001" in show and "九年级（3）班" in show and "考生号" in show


def test_list_filters_by_state_gender_and_category_of_the_exam_kind(login, app):
    draft = new_candidate(app, gender="1", category="02", class_name="筛选班")
    done = new_candidate(app, gender="1", category="02", class_name="筛选班",
                         birth=dt.date(2007, 8, 2), state="school_approved")
    # Category 02 of 高考 is a different category from 02 of 中招.
    other_kind = new_candidate(app, kind="gaokao", gender="1", category="02", class_name="筛选班")
    c = login("zy_admin")

    def listed(query):
        page = text(c.get("/candidateview/list/?_flt_0_class_name=筛选班&" + query))
        return {i for i in (draft, done, other_kind) if f"/candidateview/show/{i}\"" in page}

    assert listed("") == {draft, done, other_kind}
    assert listed("_flt_0_state=school_approved") == {done}
    assert listed("_flt_0_category=zhongzhao:02") == {draft, done}
    assert listed("_flt_0_category=gaokao:02") == {other_kind}
    assert listed("_flt_0_gender=2") == set()
    # The filter inputs are selects of labels, not free text for codes (the search widget
    # carries them as JSON: undo its \uXXXX escapes).
    page = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)),
                  c.get("/candidateview/list/").get_data(as_text=True))
    for value, label in (("zhongzhao:02", "回户籍地报考"), ("gaokao:02", "普通高中往届"),
                         ("draft", "草稿"), ("2", "女")):
        assert re.search(rf'<option value=\\?"{value}\\?">{label}</option>', page), label


def test_candidate_number_is_unique_per_exam(login, app, ids):
    new_candidate(app, candidate_number="26410102990077")
    c = login("zy_school")
    c.refresh_token("/candidateview/add")
    data = form(app, ids, birth=dt.date(2011, 10, 10), candidate_number="26410102990077")
    data["id_number"] = make_id_number("410102", dt.date(2011, 10, 10), 561)
    page = text(c.post("/candidateview/add", data, follow_redirects=True))
    assert _count(app, data["id_number"]) == 0
    assert "26410102990077" in page and "郑州市第五十七中学" in page


# --- exam-specific fields -----------------------------------------------------------

def test_gaokao_fields_are_edited_with_selects_and_shown_with_labels(login, app, ids):
    cand = new_candidate(app, kind="gaokao", category="01", phone="13812340001",
                         ethnicity="01", class_name="高三（1）班")
    c = login("zy_school")
    page = text(c.get(f"/candidateview/edit/{cand}"))
    assert 'name="subject_track"' in page and "物理类" in page
    assert 'name="education_level"' not in page  # 成人高考 fields are not on a 高考 form
    with app.app_context():
        row = db.session.get(Candidate, cand)
        data = {"exam": row.exam_id, "node": row.node_id, "name": row.name, "gender": row.gender,
                "id_number": row.id_number, "birth_date": row.birth_date.isoformat(),
                "category": "01", "ethnicity": "01", "class_name": "高三（1）班"}
    c.refresh_token(f"/candidateview/edit/{cand}")
    resp = c.post(f"/candidateview/edit/{cand}", {**data, "subject_track": "3",
                                                   "foreign_language": "1",
                                                   "graduation_school": "郑州市第五十七中学"})
    assert resp.status_code == 302
    show = text(c.get(f"/candidateview/show/{cand}"))
    assert "物理类" in show and "英语" in show and "郑州市第五十七中学" in show
    assert "文化程度" not in show  # the 成人高考 part is not shown for a 高考 record
    # A 成人高考 field on a 高考 record is refused with the reason, and nothing changes.
    page = text(c.post(f"/candidateview/edit/{cand}", {**data, "subject_track": "3",
                                                         "education_level": "60"},
                       follow_redirects=True))
    assert "文化程度" in page and "该项仅适用于成人高考考生" in page
    with app.app_context():
        row = db.session.get(Candidate, cand)
        assert row.education_level is None and row.subject_track == "3"


def test_field_of_another_exam_kind_is_refused_on_add(school_staff, app, ids):
    school_staff.refresh_token("/candidateview/add")
    data = form(app, ids, birth=dt.date(2011, 11, 11), subject_track="1")
    data["id_number"] = make_id_number("410102", dt.date(2011, 11, 11), 563)
    page = text(school_staff.post("/candidateview/add", data, follow_redirects=True))
    assert _count(app, data["id_number"]) == 0
    assert "科类" in page and "该项仅适用于高考考生" in page


def test_adult_detail_shows_labels_and_preferences(login, app):
    cand = new_candidate(
        app, kind="adult", school="BM410102", birth=dt.date(1995, 3, 4), category="03",
        education_level="30", occupation="2", study_form="3", candidate_feature="02",
        enrolment_type="01", work_start=dt.date(2016, 7, 1), diploma_number="1045912016000123",
        preferences=[dict(seq=1, level="03", major_category="02", study_form="3",
                          school_code="10459", school_name="郑州大学", major_code="120203",
                          major_name="会计学", duration="2.5", adjust=True)])
    page = text(login("zy_point").get(f"/candidateview/show/{cand}"))
    for label in ("大学专科", "专业技术人员", "函授", "年满25周岁", "非定向", "2016-07-01",
                  "1045912016000123", "志愿", "郑州大学", "会计学", "120203"):
        assert label in page, label
    # The 高考 part is not shown for a 成人高考 record; 外语语种 is 成人高考's too.
    assert "科类" not in page and "外语语种" in page


# --- guardians and study history of a locked candidate ------------------------------

def test_locked_candidates_guardians_and_studies_cannot_be_edited_deleted_or_moved(login, app):
    locked = new_candidate(app, birth=dt.date(2007, 9, 1))
    other = new_candidate(app, birth=dt.date(2007, 9, 2))
    set_locked(app, locked)
    (guardian, _n, _p), = parts(app, locked)[0]
    (study, _s), = parts(app, locked)[1]
    before = parts(app, locked)
    c = login("zy_school")
    c.refresh_token(f"/guardianview/edit/{guardian}")
    page = text(c.post(f"/guardianview/edit/{guardian}",
                       {"name": "改名字", "relation": "52", "phone": "13912345678",
                        "candidate": str(other)}, follow_redirects=True))
    assert "解锁后才能修改" in page
    page = text(c.post(f"/studyhistoryview/edit/{study}",
                       {"start": "2020-09-01", "school": "改学校", "candidate": str(other)},
                       follow_redirects=True))
    assert "解锁后才能修改" in page
    c.post(f"/guardianview/delete/{guardian}", {})
    c.post(f"/studyhistoryview/delete/{study}", {})
    assert parts(app, locked) == before
    assert parts(app, other)[0][0][0] != guardian and len(parts(app, other)[0]) == 1


def test_guardian_edit_form_has_no_candidate_field_and_cannot_move_a_row(login, app):
    first = new_candidate(app, birth=dt.date(2007, 9, 3))
    second = new_candidate(app, birth=dt.date(2007, 9, 4))
    (guardian, _n, _p), = parts(app, first)[0]
    c = login("zy_school")
    page = text(c.get(f"/guardianview/edit/{guardian}"))
    assert 'name="name"' in page and 'name="candidate"' not in page
    assert 'name="candidate"' in text(c.get("/guardianview/add"))
    c.refresh_token(f"/guardianview/edit/{guardian}")
    resp = c.post(f"/guardianview/edit/{guardian}", {"name": "新名字", "relation": "52",
                                                    "candidate": str(second)})
    assert resp.status_code == 302
    assert parts(app, first)[0] == [(guardian, "新名字", None)]
    assert len(parts(app, second)[0]) == 1


def test_moving_a_row_checks_the_stored_candidate_too(app):
    """The guard's own check, in case a form ever offers the candidate again."""
    from app.candidates.part_views import candidates_touched

    locked = new_candidate(app, birth=dt.date(2007, 9, 5))
    free = new_candidate(app, birth=dt.date(2007, 9, 6))
    with app.app_context():
        guardian = db.session.get(Candidate, locked).guardians[0]
        guardian.candidate = db.session.get(Candidate, free)
        assert {c.id for c in candidates_touched(guardian)} == {locked, free}
        db.session.rollback()


# --- quality evaluation (综合素质评定) ---------------------------------------------------

GRADES = {"morality": "A", "citizenship": "B", "learning": "A", "cooperation": "C",
          "health": "B", "aesthetics": "D"}


def _evaluation(app, candidate_id):
    with app.app_context():
        ev = db.session.get(Candidate, candidate_id).evaluation
        return None if ev is None else ({k: getattr(ev, k) for k in GRADES}, ev.remark, ev.id)


def test_school_staff_enter_quality_evaluation_shown_on_detail(login, app):
    cand = new_candidate(app, birth=dt.date(2007, 10, 1))
    c = login("zy_school")
    page = text(c.get("/qualityevaluationview/add"))
    assert 'name="morality"' in page and ">A<" in page and ">D<" in page
    c.refresh_token("/qualityevaluationview/add")
    resp = c.post("/qualityevaluationview/add", {"candidate": str(cand), **GRADES,
                                                 "remark": "表现良好"})
    assert resp.status_code == 302
    grades, remark, ev_id = _evaluation(app, cand)
    assert grades == GRADES and remark == "表现良好"
    show = text(c.get(f"/candidateview/show/{cand}"))
    assert "综合素质评定" in show and "表现良好" in show and "交流与合作" in show
    # A second evaluation for the same candidate is refused; edit the first one instead.
    page = text(c.post("/qualityevaluationview/add", {"candidate": str(cand), **GRADES},
                       follow_redirects=True))
    assert "已有" in page
    resp = c.post(f"/qualityevaluationview/edit/{ev_id}", {**GRADES, "health": "A"})
    assert resp.status_code == 302 and _evaluation(app, cand)[0]["health"] == "A"
    # Reviewers and auditors read it; they cannot write it.
    reviewer = login("zy_reviewer")
    assert reviewer.get(f"/qualityevaluationview/show/{ev_id}").status_code == 200
    reviewer.refresh_token("/candidateview/list/")
    reviewer.post(f"/qualityevaluationview/edit/{ev_id}", {**GRADES, "health": "D"})
    assert _evaluation(app, cand)[0]["health"] == "A"
    assert login("henan_auditor").get(f"/qualityevaluationview/show/{ev_id}").status_code == 200
    # Another county's school does not see it at all.
    assert login("eq_school").get(f"/qualityevaluationview/show/{ev_id}").status_code == 404


def test_quality_evaluation_of_locked_candidate_cannot_change(login, app):
    cand = new_candidate(app, birth=dt.date(2007, 10, 2))
    fresh = new_candidate(app, birth=dt.date(2007, 10, 3))
    c = login("zy_school")
    c.refresh_token("/qualityevaluationview/add")
    assert c.post("/qualityevaluationview/add", {"candidate": str(cand), **GRADES}).status_code == 302
    _grades, _remark, ev_id = _evaluation(app, cand)
    set_locked(app, cand)
    set_locked(app, fresh)
    page = text(c.post(f"/qualityevaluationview/edit/{ev_id}", {**GRADES, "morality": "D"},
                       follow_redirects=True))
    assert "解锁后才能修改" in page and _evaluation(app, cand)[0]["morality"] == "A"
    c.post(f"/qualityevaluationview/delete/{ev_id}", {})
    assert _evaluation(app, cand) is not None
    page = text(c.post("/qualityevaluationview/add", {"candidate": str(fresh), **GRADES},
                       follow_redirects=True))
    assert "解锁后才能修改" in page and _evaluation(app, fresh) is None


# --- batch print from the list --------------------------------------------------------

def test_batch_print_action_carries_only_ids_in_scope(login, app):
    own = [first_candidate(app, "41010201").id, new_candidate(app, birth=dt.date(2007, 11, 1))]
    other = first_candidate(app, "41010301").id
    c = login("zy_school")
    c.refresh_token("/candidateview/list/")
    resp = c.http.post("/candidateview/action_post", data={
        "csrf_token": c.token, "action": "batch_print",
        "rowid": [str(own[0]), str(other), str(own[1])]})
    assert resp.status_code == 302
    from urllib.parse import parse_qs, urlparse

    url = urlparse(resp.location)
    assert url.path == "/print/batch"
    assert sorted(parse_qs(url.query)["ids"][0].split(","), key=int) == sorted(map(str, own), key=int)
    # Only rows of another county: nothing to print, back to the list.
    resp = c.http.post("/candidateview/action_post", data={
        "csrf_token": c.token, "action": "batch_print", "rowid": [str(other)]})
    assert "/print/batch" not in resp.location


def test_auditor_has_no_batch_print_action(login):
    c = login("henan_auditor")
    c.refresh_token("/candidateview/list/")
    resp = c.http.post("/candidateview/action_post", data={
        "csrf_token": c.token, "action": "batch_print", "rowid": ["1"]})
    assert "/print/batch" not in (resp.location or "")
