"""高考 报名信息 (registration part of the electronic archive) through HTTP: entered by the
school (a 高考 registration point) with the national standard's codes, validation that keeps
what was typed, the registration point rule, the fee (含缴费), confirmation by the point and
its withdrawal by the county office (audited with the reason), the staff-entry window, and
scoping (the sibling county's rows answer 404).

The module builds its own database: its candidates must not change other modules' counts.
"""
import datetime as dt
import re

import pytest
from sqlalchemy import delete, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import GAOKAO
from app.exams.models import Exam
from app.extensions import db
from app.gaokao.registration_models import GaokaoRegistration
from app.jurisdiction import Node
from app.phases.models import Phase
from app.validators import make_id_number
from helpers import text

ZY_SCHOOL, EQ_SCHOOL, ZY_COUNTY = "41010201", "41010301", "410102"
#: key → (unit code, 考生号, 考生类别)
PEOPLE = {"sun": (ZY_SCHOOL, "26410102770001", "01"), "qian": (ZY_SCHOOL, "26410102770002", "03"),
          "zhou": (ZY_COUNTY, "26410102770003", "01"), "wu": (EQ_SCHOOL, "26410103770001", "01")}
NAMES = {"sun": "孙报名", "qian": "钱中职", "zhou": "周县直", "wu": "吴邻县"}


@pytest.fixture(scope="module")
def app(module_app):
    def people(app):
        exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO, Exam.year == 2026)
                                  ).scalar_one()
        made = {}
        for i, (key, (unit, number, category)) in enumerate(PEOPLE.items()):
            node = db.session.execute(select(Node).where(Node.code == unit)).scalar_one()
            birth = dt.date(2008, 5, 1 + i)
            made[key] = Candidate(exam=exam, node=node, name=NAMES[key], gender="1",
                                  birth_date=birth, category=category,
                                  id_number=make_id_number(unit[:6], birth, 771 + i),
                                  candidate_number=number)
            db.session.add(made[key])
        db.session.flush()
        db.session.add(GaokaoRegistration(
            candidate=made["wu"], exam_id=exam.id, registration_number="26410103770001",
            graduation_kind="1", exam_type="1", hukou_type="1", school_code="41010301",
            application_kind="1", fee_state="0"))

    with module_app("greg_reg", people) as app:
        yield app


def form(**changes):
    data = {"registration_number": "26410102770001", "graduation_kind": "1", "exam_type": "1",
            "hukou_type": "2", "school_code": "4101020001", "application_kind": "1",
            "fee_state": "0", "fee_amount": "", "paid_at": ""}
    data.update(changes)
    return data


def errors(resp):
    return [re.sub(r"\s+", " ", e).strip()
            for e in re.findall(r'<div class="alert alert-danger">(.*?)</div>', text(resp), re.S)]


def registration_of(app, key):
    with app.app_context():
        return db.session.execute(select(GaokaoRegistration).join(Candidate).where(
            Candidate.name == NAMES[key])).scalar_one_or_none()


def wipe(app, key):
    with app.app_context():
        cid = db.session.execute(select(Candidate.id).where(
            Candidate.name == NAMES[key])).scalar_one()
        db.session.execute(delete(GaokaoRegistration).where(
            GaokaoRegistration.candidate_id == cid))
        db.session.commit()


@pytest.fixture
def entered(app, login):
    """孙报名's registration, entered afresh (unpaid) by the school for this test."""
    wipe(app, "sun")
    resp = login("zy_school").post("/gaokao/registration/add",
                                   form(candidate_ref="26410102770001"))
    assert resp.status_code == 302, errors(resp)
    return registration_of(app, "sun")


def test_school_enters_registration(app, entered):
    assert entered.exam_id is not None and entered.state == "entered"
    assert entered.registration_number == "26410102770001"
    assert entered.fee_recorded_by == "zy_school" and entered.fee_state == "0"


def test_form_and_page_read_in_chinese(app, login, entered):
    school = login("zy_school")
    page = text(school.get("/gaokao/registration/add"))
    for label in ("报名号", "毕业类别", "考试类型", "户口性质", "中学代码", "报考类别", "报名费"):
        assert label in page, label
    shown = text(school.get(f"/gaokao/registration/show/{entered.id}"))
    assert "已录入，未确认" in shown and "普通高中" in shown and "未缴费" in shown


@pytest.mark.parametrize("changes,message", [
    ({"registration_number": "2641010277001"}, "报名号为 14 位数字"),
    ({"registration_number": "25410102770001"}, "报名号须以 26"),
    ({"registration_number": "26410103770009"}, "410102"),
    ({"school_code": "41A0"}, "中学代码为 8 至 10 位数字"),
    ({"graduation_kind": "3"}, "毕业类别与考生类别"),
    ({"exam_type": "2"}, "对口"),
    ({"fee_state": "1"}, "请填写缴费金额"),
    ({"fee_state": "1", "fee_amount": "120", "paid_at": "2099-01-01 10:00"}, "缴费时间不能晚于"),
    ({"fee_state": "0", "fee_amount": "120"}, "未缴费或免缴"),
])
def test_errors_keep_what_was_typed(app, login, changes, message):
    wipe(app, "sun")
    typed = form(candidate_ref="26410102770001", hukou_type="3", **changes)
    resp = login("zy_school").post("/gaokao/registration/add", typed)
    assert resp.status_code == 200
    found = " ".join(errors(resp))
    assert message in found, found
    page = text(resp)
    assert 'value="26410102770001"' in page  # the candidate stays chosen
    assert f'value="{typed["registration_number"]}"' in page
    assert registration_of(app, "sun") is None


def test_registration_number_is_unique_in_the_exam(app, login, entered):
    # 钱中职 (中职应届) takes 孙报名's number: refused, nothing saved.
    resp = login("zy_school").post("/gaokao/registration/add", form(
        candidate_ref="26410102770002", graduation_kind="3"))
    assert resp.status_code == 200
    assert "已被本次考试使用" in " ".join(errors(resp))
    assert registration_of(app, "qian") is None


def test_only_at_a_registration_point(app, login):
    # 周县直 is registered at the county office itself, not at a point or school.
    resp = login("zy_admin").post("/gaokao/registration/add", form(
        candidate_ref="26410102770003", registration_number="26410102770003"))
    assert resp.status_code == 200
    assert "不是高考报名点" in " ".join(errors(resp))
    assert registration_of(app, "zhou") is None


def test_confirmation_needs_the_fee_and_freezes_the_part(app, login, entered):
    school = login("zy_school")
    refused = school.post(f"/gaokao/registration/move/{entered.id}/confirm",
                          follow_redirects=True)
    assert "尚未缴纳报名费" in text(refused)
    assert registration_of(app, "sun").state == "entered"
    # The fee is recorded by the point; then it confirms.
    resp = school.post(f"/gaokao/registration/edit/{entered.id}", form(
        fee_state="1", fee_amount="120.00", paid_at="2025-11-10 09:30"))
    assert resp.status_code == 302, errors(resp)
    assert school.post(f"/gaokao/registration/move/{entered.id}/confirm").status_code == 302
    done = registration_of(app, "sun")
    assert done.state == "confirmed" and done.confirmed_by == "zy_school"
    assert done.confirmed_at is not None
    # Confirmed: the edit form is refused before anything is typed, and a forged post too.
    page = school.get(f"/gaokao/registration/edit/{entered.id}", follow_redirects=True)
    assert "撤销确认" in text(page)
    school.post(f"/gaokao/registration/edit/{entered.id}", form(hukou_type="1"))
    assert registration_of(app, "sun").hukou_type == "2"
    # The school may not withdraw; the county office does, with a reason.
    school.post(f"/gaokao/registration/move/{entered.id}/withdraw", {"reason": "改户口"})
    assert registration_of(app, "sun").state == "confirmed"
    county = login("zy_admin")
    county.post(f"/gaokao/registration/move/{entered.id}/withdraw")  # no reason: refused
    assert registration_of(app, "sun").state == "confirmed"
    county.post(f"/gaokao/registration/move/{entered.id}/withdraw", {"reason": "户口性质有误"})
    back = registration_of(app, "sun")
    assert back.state == "entered" and back.confirmed_at is None
    with app.app_context():
        reasons = db.session.execute(select(AuditLog.reason).where(
            AuditLog.table_name == "ks_gaokao_registration",
            AuditLog.row_id == entered.id)).scalars().all()
    assert "户口性质有误" in reasons


def test_fee_change_records_who(app, login, entered):
    county = login("zy_admin")
    resp = county.post(f"/gaokao/registration/edit/{entered.id}", form(
        fee_state="2"))
    assert resp.status_code == 302, errors(resp)
    assert registration_of(app, "sun").fee_recorded_by == "zy_admin"
    page = text(county.get(f"/gaokao/registration/show/{entered.id}"))
    assert "免缴" in page and "zy_admin" in page


def test_sibling_county_answers_404(app, login, entered):
    other = registration_of(app, "wu")
    eq = login("eq_admin")
    for url in (f"/gaokao/registration/show/{entered.id}",
                f"/gaokao/registration/edit/{entered.id}"):
        assert eq.get(url).status_code == 404, url
    assert eq.post(f"/gaokao/registration/move/{entered.id}/confirm").status_code == 404
    assert login("zy_admin").get(f"/gaokao/registration/show/{other.id}").status_code == 404
    # Nor can a 中原区 user pick the sibling's candidate on the add form.
    resp = login("zy_admin").post("/gaokao/registration/add", form(
        candidate_ref="26410103770001", registration_number="26410103770001"))
    assert resp.status_code == 200 and registration_of(app, "wu").registration_number \
        == "26410103770001"
    listing = text(login("zy_admin").get("/gaokao/registration/list/"))
    assert NAMES["wu"] not in listing


def test_schools_cannot_reach_other_parts_of_the_archive_page(app, login, entered):
    # The archive page (with health data of other parts) is for county offices and up.
    resp = login("zy_school").get(f"/gaokao/archive/{entered.candidate_id}")
    assert resp.status_code in (302, 403)


def test_staff_entry_window_is_enforced(app, login):
    wipe(app, "sun")
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO, Exam.year == 2026)
                                  ).scalar_one()
        phase = Phase(exam_id=exam.id, activity="staff_entry", name="高考报名",
                      start=dt.datetime(2025, 11, 1, 8), end=dt.datetime(2025, 11, 15, 18))
        db.session.add(phase)
        db.session.commit()
        phase_id = phase.id
    try:
        resp = login("zy_school").post("/gaokao/registration/add",
                                       form(candidate_ref="26410102770001"))
        assert resp.status_code == 200
        assert "2025-11-15 18:00" in " ".join(errors(resp))
        assert registration_of(app, "sun") is None
    finally:
        with app.app_context():
            db.session.execute(delete(Phase).where(Phase.id == phase_id))
            db.session.commit()
