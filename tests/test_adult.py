"""成人高考 self-service: preference rules (志愿), confirmation-point eligibility (报名确认点:
低龄 / 医卫类 / levels served), and the HTTP pages that apply them, up to the confirmation with
the integrity pledge (诚信考试承诺书)."""
import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from adult_support import BASIC_INFO
from app.adult import rules
from app.adult.demo import seed_adult
from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from helpers import OPEN, PAST, PREFERENCE_FORM, candidate_row, node_id, text

pytestmark = pytest.mark.usefixtures("fresh_address_limit")


def pref(seq=1, level="01", category="02", **extra):
    values = {"seq": seq, "level": level, "track": "1" if level != "03" else None,
              "major_category": category, "study_form": "3", "school_code": "10459",
              "school_name": "郑州大学", "major_code": f"0{seq}0201", "major_name": "会计学"}
    values.update(extra)
    return values


# --- preference rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("first, second, ok", [
    (("01", "02"), ("01", "02"), True),
    (("01", "02"), ("02", "02"), True),   # 高起本 → 高起专 allowed
    (("01", "02"), ("03", "02"), False),
    (("02", "02"), ("02", "07"), True),
    (("02", "02"), ("01", "02"), False),  # 高起专 → only 高起专
    (("02", "02"), ("03", "02"), False),
    (("03", "02"), ("03", "02"), True),
    (("03", "02"), ("03", "07"), False),  # 专升本 across major categories
    (("03", "02"), ("01", "02"), False),
    (("03", "02"), ("02", "02"), False),
])
def test_second_choice_rules(first, second, ok):
    prefs = [pref(1, *first), pref(2, *second)]
    assert (rules.preference_problems(first[0], prefs) == []) is ok


def test_first_choice_is_the_candidates_level():
    assert rules.preference_problems("02", [pref(1, "01")])
    assert rules.preference_problems("02", [pref(1, "02")]) == []
    assert rules.preference_problems(None, [pref(1, "03")]) == []  # not recorded yet


def test_at_most_two_choices_in_order():
    assert rules.preference_problems("01", [pref(1), pref(2), pref(3)])
    assert rules.preference_problems("01", [pref(3)])
    assert rules.preference_problems("01", [pref(1), pref(1, major_code="0999")])
    assert rules.preference_problems("01", [pref(2)])  # a second needs a first
    same = pref(1)
    assert rules.preference_problems("01", [same, dict(same, seq=2)])  # a repeat
    assert rules.preference_problems("01", []) == []


def test_preference_fields_are_required_and_checked():
    values, errors = rules.clean_preference({})
    assert set(errors) == {"level", "major_category", "study_form", "school_code",
                           "school_name", "major_code", "major_name"}
    values, errors = rules.clean_preference({**pref(), "track": ""})
    assert set(errors) == {"track"}  # 高起本 / 高起专 need 科类
    values, errors = rules.clean_preference({**pref(level="03"), "track": "2"})
    assert errors == {} and values["track"] is None  # 专升本's 科类 is the major category
    values, errors = rules.clean_preference({**pref(), "level": "04", "study_form": "9",
                                             "school_code": "郑大", "duration": "7"})
    assert set(errors) == {"level", "study_form", "school_code", "duration"}
    values, errors = rules.clean_preference({**pref(), "school_code": " 10459 ",
                                             "major_code": "0801a", "adjust": "1",
                                             "duration": "2.5"})
    assert errors == {}
    assert (values["school_code"], values["major_code"], values["adjust"],
            values["duration"]) == ("10459", "0801A", True, "2.5")


# --- point eligibility ---------------------------------------------------------------------------


def test_ages_are_counted_on_the_exam_date_or_1_september():
    exam = SimpleNamespace(year=2026, exam_date=dt.date(2026, 10, 24))
    assert rules.is_minor(dt.date(2009, 10, 25), exam)
    assert not rules.is_minor(dt.date(2009, 10, 24), exam)  # 17 on the day
    undated = SimpleNamespace(year=2026, exam_date=None)
    assert rules.age_reference_date(undated) == dt.date(2026, 9, 1)
    assert rules.is_minor(dt.date(2009, 9, 2), undated)
    assert not rules.is_minor(dt.date(2009, 9, 1), undated)


def point_node(**kw):
    values = dict(kind="point", active=True, path="/410000/410100/410102/BMX/", name="测试点",
                  serves_levels=None, for_minors=False, for_medical=False)
    values.update(kw)
    return SimpleNamespace(**values)


PROVINCE = "/410000/"


def test_point_eligibility():
    refusal = rules.point_refusal
    assert refusal(point_node(), PROVINCE, "01", False, False) is None
    assert refusal(point_node(kind="school"), PROVINCE, "01", False, False)
    assert refusal(point_node(active=False), PROVINCE, "01", False, False)
    assert refusal(point_node(path="/430000/430100/BMX/"), PROVINCE, "01", False, False)
    assert refusal(None, PROVINCE, "01", False, False)
    # levels served (comma codes, empty = all)
    assert refusal(point_node(serves_levels="03"), PROVINCE, "01", False, False)
    assert refusal(point_node(serves_levels="01, 02"), PROVINCE, "02", False, False) is None
    assert refusal(point_node(serves_levels=""), PROVINCE, "03", False, False) is None
    # under 17: only points for minors
    assert refusal(point_node(), PROVINCE, "01", True, False)
    assert refusal(point_node(for_minors=True), PROVINCE, "01", True, False) is None
    # medical majors: only points for medical candidates
    assert refusal(point_node(), PROVINCE, "03", False, True)
    assert refusal(point_node(for_medical=True), PROVINCE, "03", False, True) is None
    assert refusal(point_node(for_medical=True), PROVINCE, "03", True, True)
    assert refusal(point_node(for_medical=True, for_minors=True), PROVINCE, "03", True,
                   True) is None
    # designated points serve other candidates too
    assert refusal(point_node(for_minors=True, for_medical=True), PROVINCE, "01", False,
                   False) is None
    assert rules.is_medical("09") and not rules.is_medical("02")
    assert rules.province_path(SimpleNamespace(path="/410000/410100/410102/41010201/")) == PROVINCE


# --- HTTP ----------------------------------------------------------------------------------------


def test_preferences_follow_the_rules(app, adult):
    c, cid = adult()
    page = text(c.get("/me/preferences"))
    assert "第一志愿" in page and "院校代码" in page and "高起专" in page
    resp = c.post("/me/preferences/2", {**PREFERENCE_FORM, "level": "02"})
    assert resp.status_code == 400 and "先填报第一志愿" in text(resp)
    resp = c.post("/me/preferences/1", {**PREFERENCE_FORM, "level": "02"})
    assert resp.status_code == 400 and "报考层次为高起本" in text(resp)
    resp = c.post("/me/preferences/1", {**PREFERENCE_FORM, "school_code": ""})
    assert resp.status_code == 400 and "必填" in text(resp)
    assert 'value="郑州大学"' in text(resp)  # what was typed is kept
    assert c.post("/me/preferences/1", PREFERENCE_FORM).status_code == 302
    resp = c.post("/me/preferences/2", {**PREFERENCE_FORM, "level": "03", "major_code": "020101"})
    assert resp.status_code == 400 and "第二志愿只能为" in text(resp)
    assert c.post("/me/preferences/2", {**PREFERENCE_FORM, "level": "02", "major_code": "630302",
                                        "major_name": "大数据与会计"}).status_code == 302
    assert c.post("/me/preferences/3", PREFERENCE_FORM).status_code == 404
    resp = c.post("/me/preferences/1/delete")
    assert resp.status_code == 400 and "先删除第二志愿" in text(resp)
    assert candidate_row(app, cid).prefs == [(1, "01", "02"), (2, "02", "02")]
    with app.app_context():
        audit = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_preference", AuditLog.action == "insert",
            AuditLog.username == f"candidate:{cid}")).scalars().all()
        assert len(audit) == 2
    assert c.post("/me/preferences/2/delete").status_code == 302
    assert candidate_row(app, cid).prefs == [(1, "01", "02")]


def test_a_self_registered_level_comes_from_the_first_choice(app, adult):
    c, cid = adult(category=None)
    assert c.post("/me/preferences/1", {**PREFERENCE_FORM, "level": "03", "major_category": "07"}
                  ).status_code == 302
    assert candidate_row(app, cid).category == "03"


def test_choosing_a_point_moves_the_record_to_it(app, adult, login):
    c, cid = adult(prefs=[pref()])
    page = text(c.get("/me/point"))
    listed = set(re.findall(r'id="point-(\d+)"', page))
    assert str(node_id(app, "BM410102")) in listed
    assert str(node_id(app, "BM410105Z")) not in listed  # 专升本 only
    assert "中原区报名点" in page
    point, school = login("zy_point"), login("zy_school")
    assert school.get(f"/candidateview/show/{cid}").status_code == 200
    resp = c.post("/me/point", {"point_id": node_id(app, "BM410102")}, follow_redirects=True)
    chosen = text(resp).split('id="current"', 1)[1].split("</div>", 1)[0]  # not the list
    assert "中原区报名点" in chosen
    assert candidate_row(app, cid).node == "BM410102"
    assert point.get(f"/candidateview/show/{cid}").status_code == 200
    assert school.get(f"/candidateview/show/{cid}").status_code == 404
    with app.app_context():
        change = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_candidate", AuditLog.row_id == cid,
            AuditLog.action == "update", AuditLog.username == f"candidate:{cid}")).scalars().all()
        assert any(e.changes.get("node_id") == [node_id(app, "41010201"),
                                                node_id(app, "BM410102")] for e in change)


def test_forged_points_outside_eligibility_are_refused(app, adult):
    c, cid = adult(category="03", prefs=[pref(level="03")])
    for forged in (node_id(app, "41010201"), node_id(app, "BM410103D"), 999999, "x", ""):
        resp = c.post("/me/point", {"point_id": forged})
        assert resp.status_code == 403, forged
        assert 'id="problem"' in text(resp)
    assert "不办理专升本" in text(c.post("/me/point", {"point_id": node_id(app, "BM410103D")}))
    assert candidate_row(app, cid).node == "41010201"
    assert c.post("/me/point", {"point_id": node_id(app, "BM410105Z")}).status_code == 302


def test_minors_may_only_choose_points_for_minors(app, adult):
    c, cid = adult(minor=True, prefs=[pref()])
    page = text(c.get("/me/point"))
    listed = {int(i) for i in re.findall(r'id="point-(\d+)"', page)}
    with app.app_context():
        assert listed and all(db.session.get(Node, i).for_minors for i in listed)
    assert node_id(app, "BM410103D") in listed
    resp = c.post("/me/point", {"point_id": node_id(app, "BM410102")})
    assert resp.status_code == 403 and "低龄" in text(resp)
    assert c.post("/me/point", {"point_id": node_id(app, "BM410103D")}).status_code == 302
    assert candidate_row(app, cid).node == "BM410103D"


def test_medical_majors_may_only_choose_points_for_medical_candidates(app, adult):
    c, cid = adult(category="03", prefs=[pref(level="03", category="09")])
    listed = {int(i) for i in re.findall(r'id="point-(\d+)"', text(c.get("/me/point")))}
    with app.app_context():
        assert listed and all(db.session.get(Node, i).for_medical for i in listed)
    resp = c.post("/me/point", {"point_id": node_id(app, "BM410105Z")})
    assert resp.status_code == 403 and "医卫类" in text(resp)
    assert c.post("/me/point", {"point_id": node_id(app, "BM410102Y")}).status_code == 302


def test_no_point_before_a_first_preference(app, adult):
    c, cid = adult()
    assert 'id="no-preference"' in text(c.get("/me/point"))
    assert c.post("/me/point", {"point_id": node_id(app, "BM410102")}).status_code == 403
    assert candidate_row(app, cid).node == "41010201"


def test_preferences_and_point_refused_outside_the_window(app, adult, phase):
    c, cid = adult(prefs=[pref()])
    phase("self_registration", *PAST, kind=ADULT)
    resp = c.post("/me/preferences/2", {**PREFERENCE_FORM, "level": "02"})
    assert resp.status_code == 403 and "2026-03-25 17:00" in text(resp)
    assert c.post("/me/point", {"point_id": node_id(app, "BM410102")}).status_code == 403
    # a preference window of its own, when the exam configures one
    phase("preference", *OPEN, kind=ADULT)
    assert c.post("/me/preferences/2", {**PREFERENCE_FORM, "level": "02"}).status_code == 302
    assert c.post("/me/point", {"point_id": node_id(app, "BM410102")}).status_code == 403
    phase("preference", *PAST, kind=ADULT)
    assert c.post("/me/preferences/2/delete").status_code == 403
    row = candidate_row(app, cid)
    assert len(row.prefs) == 2 and row.node == "41010201"


def test_preferences_refused_after_confirmation_or_lock(app, adult):
    c, cid = adult(prefs=[pref()])
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        cand.locked = True
        db.session.commit()
    resp = c.post("/me/preferences/2", {**PREFERENCE_FORM, "level": "02"})
    assert resp.status_code == 403 and "解锁后才能修改" in text(resp)
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        cand.locked, cand.state = False, "confirmed"
        db.session.commit()
    resp = c.post("/me/preferences/1", {**PREFERENCE_FORM, "major_name": "财务管理"})
    assert resp.status_code == 403 and "不能在此修改" in text(resp)
    assert c.post("/me/point", {"point_id": node_id(app, "BM410102")}).status_code == 403
    assert candidate_row(app, cid).prefs == [(1, "01", "02")]


def confirm(c, app, cid, pledge="2026-1"):
    with app.app_context():
        version = db.session.get(Candidate, cid).version
    form = {"version": version}
    if pledge:
        form["pledge"] = pledge  # the checkbox carries the wording's version
    return c.post("/me/confirm", form, follow_redirects=True)


def test_confirmation_needs_preference_point_and_pledge(app, adult):
    c, cid = adult()
    status = text(c.get("/me/"))
    assert "诚信考试承诺书" in status and 'name="pledge"' in status
    assert "/me/preferences" in status and "/me/point" in status
    assert "第一志愿" in text(confirm(c, app, cid))
    c.post("/me/preferences/1", PREFERENCE_FORM)
    assert "请选择报名确认点" in text(confirm(c, app, cid))
    c.post("/me/point", {"point_id": node_id(app, "BM410102")})
    assert "并勾选同意" in text(confirm(c, app, cid, pledge=None))
    assert "并勾选同意" in text(confirm(c, app, cid, pledge="2025-1"))  # older wording
    assert candidate_row(app, cid).state == "draft"
    assert c.get("/me/forms/process.pdf").status_code == 404  # not before confirming
    assert "请填写基本信息" in text(confirm(c, app, cid))  # 基本信息: test_adult_basic_info
    assert c.post("/me/adult/info", BASIC_INFO).status_code == 302
    page = text(confirm(c, app, cid))
    assert "中原区报名点办理现场确认" in page
    assert candidate_row(app, cid).state == "confirmed"
    with app.app_context():
        pledge = db.session.execute(select(AuditLog).where(
            AuditLog.action == "pledge", AuditLog.row_id == cid)).scalar_one()
        assert pledge.changes["version"] == "2026-1" and pledge.username == f"candidate:{cid}"
        assert dt.datetime.now() - pledge.at < dt.timedelta(minutes=1)
    for kind in ("process", "preferences", "registration"):
        pdf = c.get(f"/me/forms/{kind}.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF"), kind
    assert c.post("/me/preferences/1", PREFERENCE_FORM).status_code == 403


def test_a_point_that_no_longer_fits_blocks_confirmation(app, adult):
    c, cid = adult(category="03", prefs=[pref(level="03")])
    c.post("/me/point", {"point_id": node_id(app, "BM410105Z")})
    c.post("/me/preferences/1", {**PREFERENCE_FORM, "level": "03", "major_category": "09",
                                 "major_name": "护理学"})
    assert 'id="point-problem"' in text(c.get("/me/preferences"))
    assert "不符" in text(confirm(c, app, cid))
    assert candidate_row(app, cid).state == "draft"


def test_adult_pages_and_forms_are_for_adult_candidates_only(app, candidate):
    c, _cid, _ = candidate()  # a 中招 candidate
    assert c.get("/me/preferences").status_code == 404
    assert c.get("/me/point").status_code == 404
    assert c.post("/me/point", {"point_id": 1}).status_code == 404
    assert "/me/preferences" not in text(c.get("/me/"))
    assert c.get("/me/forms/process.pdf").status_code == 404


def test_demo_points_and_candidates(app):
    with app.app_context():
        points = {n.code: n for n in db.session.execute(
            select(Node).where(Node.code.in_(("BM410102Y", "BM410103D", "BM410105Z")))).scalars()}
        assert points["BM410102Y"].for_medical and points["BM410103D"].for_minors
        assert points["BM410105Z"].serves_levels == "03"
        exam = db.session.execute(
            select(Exam).where(Exam.kind == ADULT, Exam.year == 2026)).scalar_one()
        demo = db.session.execute(select(Candidate).where(
            Candidate.exam_id == exam.id, Candidate.candidate_number.like("264101020000%"))
        ).scalars().all()
        assert len(demo) == 3
        assert [c.name for c in demo if rules.is_minor(c.birth_date, exam)] == ["王小军"]
        assert seed_adult() == 0  # idempotent
        db.session.rollback()


def test_after_the_on_site_confirmation_the_candidate_reads_confirmed_on_site(app, adult):
    """An adult candidate has no school: the point's first review reads 已现场确认 on the
    status page, and a frozen record says to contact the confirmation point."""
    c, cid = adult(prefs=[pref()])
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        cand.state = "school_approved"
        db.session.commit()
    page = c.get("/me/").get_data(as_text=True)
    state = page[page.index('id="state"'):][:120]
    assert "已现场确认" in state and "学校" not in state, state
    resp = c.post("/me/preferences/1", {**PREFERENCE_FORM, "major_name": "财务管理"})
    assert resp.status_code == 403
    body = text(resp)
    assert "如有错误请联系报名确认点" in body and "联系学校" not in body
