"""体检 校对 / 确认 and reports upward through HTTP (issue 17 part 2), and integrity records for
成人高考 candidates (part 7): the clerk enters, a second county user proofreads (the same
user is refused), the county administrator confirms, the 体检表 prints for signing only then,
a change sends the results back, reopening needs the administrator and a reason, list actions
re-scope their rows, and counties report to the city, the city to the province.

The module builds its own database: its candidates and reports must not change other modules'.
"""
import datetime as dt
import re
import shutil
import subprocess

import pytest
from sqlalchemy import delete, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import ADULT, GAOKAO, ZHONGZHAO
from app.demo import DEMO_PASSWORD, ensure_user
from app.exams.models import Exam
from app.extensions import db
from app.gaokao import archive, physical_workflow as workflow
from app.gaokao.models import PhysicalExam, PhysicalReport
from app.jurisdiction import Node
from app.security import COUNTY_ADMIN, EXAM_CLERK
from app.validators import make_id_number
from helpers import text

ZY_SCHOOL, EQ_SCHOOL = "41010201", "41010301"
REASON_REQUIRED = "必须填写原因。"
PEOPLE = {"qian": (ZY_SCHOOL, "26410102160001"), "sun": (ZY_SCHOOL, "26410102160002"),
          "zhou": (EQ_SCHOOL, "26410103160001")}
NAMES = {"qian": "钱确认", "sun": "孙批量", "zhou": "周邻县"}


@pytest.fixture(scope="module")
def app(module_app):
    def people(app):
        exam = db.session.execute(select(Exam).where(
            Exam.kind == GAOKAO, Exam.active.is_(True)).order_by(Exam.id)).scalars().first()
        nodes = {n.code: n for n in db.session.execute(select(Node)).scalars()}
        for i, (key, (school, number)) in enumerate(PEOPLE.items()):
            birth = dt.date(2008, 5, 1 + i)
            db.session.add(Candidate(exam=exam, node=nodes[school], name=NAMES[key], gender="1",
                                     birth_date=birth, candidate_number=number,
                                     id_number=make_id_number("410102", birth, 511)))
        ensure_user("zy_clerk2", DEMO_PASSWORD, nodes["410102"], EXAM_CLERK, "第二", "录入员")
        ensure_user("js_admin", DEMO_PASSWORD, nodes["410105"], COUNTY_ADMIN, "金水", "管理员")

    with module_app("gphys", people) as app:
        yield app


def form(**changes):
    data = {
        "serial": "TJ0101", "hospital": "中原区人民医院", "exam_date": "2026-04-12",
        "doctor": "张主检", "history": "", "vision_naked_right": "5.0", "vision_naked_left": "5.1",
        "vision_corrected_right": "", "vision_corrected_left": "", "lens_right": "",
        "lens_left": "", "colour_vision": "1", "eye_disease": "", "bp_systolic": "118",
        "bp_diastolic": "76", "heart": "正常", "lungs": "正常", "abdomen": "正常",
        "nervous": "正常", "height": "170.0", "weight": "60.0", "skin": "正常",
        "spine": "正常", "limbs": "正常", "hearing_right": "5", "hearing_left": "5",
        "smell": "1", "ent": "正常", "lips_palate": "正常", "teeth": "正常",
        "chest_xray": "未见异常", "alt": "20", "other": "", "restriction_list": [],
        "conclusion": "1",
    }
    data.update(changes)
    return data


def errors(resp):
    return [re.sub(r"\s+", " ", e).strip()
            for e in re.findall(r'<div class="alert alert-danger">(.*?)</div>', text(resp), re.S)]


def record(app, key):
    with app.app_context():
        row = db.session.execute(select(PhysicalExam).join(Candidate).where(
            Candidate.name == NAMES[key])).scalar_one_or_none()
        if row is not None:
            db.session.expunge(row)
        return row


def exam_id(app):
    with app.app_context():
        return db.session.execute(select(Candidate.exam_id).where(
            Candidate.name == NAMES["qian"])).scalar_one()


@pytest.fixture
def fresh(app, login):
    """No results and no reports of the module's exam: every test starts from nothing; the
    clerk then enters 钱确认's and 孙批量's results."""
    with app.app_context():
        db.session.execute(delete(PhysicalReport))
        ids = select(Candidate.id).where(Candidate.exam_id == exam_id(app))
        db.session.execute(delete(PhysicalExam).where(PhysicalExam.candidate_id.in_(ids)))
        db.session.commit()
    clerk = login("zy_clerk")
    for key in ("qian", "sun"):
        resp = clerk.post("/physical/add", form(candidate_ref=PEOPLE[key][1]))
        assert resp.status_code == 302, errors(resp)
    return clerk


def flashes(resp):
    return text(resp)


def step(client, name, pk):
    return client.post(f"/physical-checks/action/{name}/{pk}",
                       data={"next": f"/physical/show/{pk}"}, follow_redirects=True)


def pdf_text(data):
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                         check=True).stdout.decode()
    return "".join(out.split())


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) not installed")


@needs_pdftotext
def test_enter_proofread_confirm_print_and_change(app, login, fresh):
    qian = record(app, "qian")
    assert qian.state == workflow.ENTERED
    # The clerk who entered the results may not proofread them.
    page = text(step(fresh, "proofread", qian.id))
    assert "须由本县（区）另一人校对" in page
    assert record(app, "qian").state == workflow.ENTERED
    # Printing for signature is refused before confirmation, with the reason.
    resp = login("zy_admin").get(f"/print/physical/{qian.candidate_id}.pdf")
    assert resp.status_code == 400 and "确认后才能打印考生体格检查表供签字" in text(resp)
    # A second clerk proofreads (the record's page offers it); the clerk cannot confirm, the
    # county administrator does.
    clerk2 = login("zy_clerk2")
    assert 'id="step-proofread"' in text(clerk2.get(f"/physical/show/{qian.id}"))
    step(clerk2, "proofread", qian.id)
    assert record(app, "qian").state == workflow.PROOFREAD
    assert fresh.post(f"/physical-checks/action/confirm/{qian.id}").status_code in (302, 403)
    assert record(app, "qian").state == workflow.PROOFREAD
    admin = login("zy_admin")
    step(admin, "confirm", qian.id)
    confirmed = record(app, "qian")
    assert confirmed.state == workflow.CONFIRMED and confirmed.confirmed_at is not None
    # The 体检表 prints for signing: 已确认, the confirmation date and a code that verifies.
    resp = admin.get(f"/print/physical/{qian.candidate_id}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    flat = pdf_text(resp.data)
    assert "已确认" in flat and confirmed.confirmed_at.strftime("%Y年%m月%d日") in flat
    code = re.search(r"校验码：([0-9A-Za-z-]+)", flat).group(1)
    with app.test_request_context():
        from app.printing.render import check_code
        assert check_code(code, "physical", db.session.get(Candidate, qian.candidate_id))
    # Confirmed results are not editable by the clerk: the edit page refuses, a post too.
    resp = fresh.get(f"/physical/edit/{qian.id}", follow_redirects=True)
    assert "须由县（区）管理员填写原因重新打开" in text(resp)
    assert 'name="hospital"' not in text(resp)
    fresh.post(f"/physical/edit/{qian.id}", form(hospital="偷改医院"))
    assert record(app, "qian").hospital == "中原区人民医院"
    # Nor deleted.
    admin.post(f"/physical/delete/{qian.id}")
    assert record(app, "qian") is not None
    # Reopening: the county administrator only, with a reason (audited).
    resp = admin.post(f"/physical-checks/reopen/{qian.id}", {"reason": ""})
    assert REASON_REQUIRED in text(resp)
    assert record(app, "qian").state == workflow.CONFIRMED
    fresh.post(f"/physical-checks/reopen/{qian.id}", {"reason": "视力录错"})
    assert record(app, "qian").state == workflow.CONFIRMED
    admin.post(f"/physical-checks/reopen/{qian.id}", {"reason": "视力录错"})
    reopened = record(app, "qian")
    assert reopened.state == workflow.ENTERED and reopened.reopen_reason == "视力录错"
    with app.app_context():
        row = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_physical_exam", AuditLog.row_id == qian.id,
            AuditLog.username == "zy_admin").order_by(AuditLog.id.desc())).scalars().first()
        assert row.changes["state"] == ["confirmed", "entered"]
        assert row.changes["reopen_reason"][1] == "视力录错"
    # The print is refused again until the corrected results are confirmed.
    assert admin.get(f"/print/physical/{qian.candidate_id}.pdf").status_code == 400


def test_a_change_after_proofreading_resets_the_state(app, login, fresh):
    sun = record(app, "sun")
    step(login("zy_clerk2"), "proofread", sun.id)
    assert record(app, "sun").state == workflow.PROOFREAD
    # The second clerk changes the results: back to entered, and the page says so.
    clerk2 = login("zy_clerk2")
    resp = clerk2.post(f"/physical/edit/{sun.id}", form(hospital="复查医院"),
                       follow_redirects=True)
    assert "重新校对" in text(resp)
    changed = record(app, "sun")
    assert changed.state == workflow.ENTERED and changed.hospital == "复查医院"
    # Now clerk2 changed it last: clerk2 may not proofread, the first clerk may.
    step(clerk2, "proofread", sun.id)
    assert record(app, "sun").state == workflow.ENTERED
    step(login("zy_clerk"), "proofread", sun.id)
    assert record(app, "sun").state == workflow.PROOFREAD
    # Saving the same values again changes nothing and keeps the state.
    login("zy_admin").post(f"/physical/edit/{sun.id}", form(hospital="复查医院"))
    assert record(app, "sun").state == workflow.PROOFREAD
    # The list filters by state.
    page = text(login("zy_admin").get("/physical/list/?_flt_0_state=proofread"))
    assert NAMES["sun"] in page and NAMES["qian"] not in page


def test_bulk_actions_rescope_their_rows(app, login, fresh):
    qian, sun = record(app, "qian"), record(app, "sun")
    with app.app_context():
        zhou = db.session.execute(select(Candidate).where(Candidate.name == NAMES["zhou"])
                                  ).scalar_one()
        other = PhysicalExam(candidate_id=zhou.id, hospital="二七区医院",
                             exam_date=dt.date(2026, 4, 10), vision_naked_right=5.0,
                             vision_naked_left=5.0, colour_vision="1", bp_systolic=118,
                             bp_diastolic=76, height=170, weight=60, hearing_right=5,
                             hearing_left=5, smell="1", conclusion="1", doctor="刘医生",
                             state="entered")
        db.session.add(other)
        db.session.commit()
        other_id, zhou_id = other.id, zhou.id
    clerk2 = login("zy_clerk2")
    resp = clerk2.post("/physical-checks/action_post", data={
        "action": "proofread", "rowid": [str(qian.id), str(sun.id), str(other_id)]},
        follow_redirects=True)
    assert resp.status_code == 200
    assert record(app, "qian").state == record(app, "sun").state == workflow.PROOFREAD
    # The sibling county's row was left out, not proofread.
    assert record(app, "zhou").state == workflow.ENTERED
    page = text(clerk2.get("/physical-checks/list/"))
    assert NAMES["qian"] in page and NAMES["zhou"] not in page
    # One row of another county answers 404.
    assert login("eq_admin").post(f"/physical-checks/action/confirm/{qian.id}").status_code == 404
    # The county reviewer may confirm too; the county administrator confirms the rest in one
    # action, the row already confirmed skipped with its reason.
    step(login("zy_reviewer"), "confirm", sun.id)
    assert record(app, "sun").state == workflow.CONFIRMED
    resp = login("zy_admin").post("/physical-checks/action_post", data={
        "action": "confirm", "rowid": [str(qian.id), str(sun.id)]}, follow_redirects=True)
    assert "确认：完成 1 条，跳过 1 条。" in text(resp)
    assert record(app, "qian").state == record(app, "sun").state == workflow.CONFIRMED
    # The city administrator may read the list but not confirm: the role is not in the table.
    city_list = text(login("zz_admin").get("/physical-checks/list/"))
    assert NAMES["qian"] in city_list and "action_post" not in city_list
    assert "action_post" in text(login("zy_reviewer").get("/physical-checks/list/"))
    with app.test_request_context():
        states = archive.states_of([qian.candidate_id, zhou_id])
    assert states[qian.candidate_id]["physical"] == archive.CONFIRMED
    assert states[zhou_id]["physical"] == archive.ENTERED


def _report(client, app):
    return client.post("/physical-reports/submit", {"exam": exam_id(app)},
                       follow_redirects=True)


def _confirm_all(app, login):
    clerk2, admin = login("zy_clerk2"), login("zy_admin")
    for key in ("qian", "sun"):
        step(clerk2, "proofread", record(app, key).id)
        step(admin, "confirm", record(app, key).id)


def test_reports_county_city_province(app, login, fresh):
    zy, eq, js = login("zy_admin"), login("eq_admin"), login("js_admin")
    city, province = login("zz_admin"), login("henan_admin")
    # Unconfirmed results keep the county from reporting; the page says how many are left.
    page = text(zy.get(f"/physical-reports/submit?exam={exam_id(app)}"))
    assert "中原区仍有2条体检结果未确认（已录入2条，已校对0条）" in page
    _report(zy, app)
    with app.app_context():
        assert db.session.execute(select(PhysicalReport)).first() is None
    # The city cannot report before its counties.
    page = text(_report(city, app))
    assert "郑州市才能上报：中原区、二七区、金水区尚未上报" in page
    _confirm_all(app, login)
    page = text(_report(zy, app))
    with app.app_context():
        zy_report = db.session.execute(select(PhysicalReport).join(Node).where(
            Node.code == "410102")).scalar_one()
        assert zy_report.confirmed == 2 and zy_report.state == workflow.REPORTED
        zy_report_id = zy_report.id
    # Reporting again with nothing changed is refused.
    assert "此后没有变化" in text(_report(zy, app))
    # The sibling county does not see 中原区's report.
    assert eq.get(f"/physical-reports/show/{zy_report_id}").status_code == 404
    _report(eq, app)
    _report(js, app)
    # The city sees which counties reported and what.
    page = text(city.get(f"/physical-reports/submit?exam={exam_id(app)}"))
    assert "中原区" in page and "二七区" in page and "金水区" in page
    assert "尚未上报" not in page
    # A result changed after its county reported is flagged; the city cannot report then.
    qian = record(app, "qian")
    zy.post(f"/physical-checks/reopen/{qian.id}", {"reason": "血压复测"})
    login("zy_clerk").post(f"/physical/edit/{qian.id}", form(bp_systolic="120"))
    shown = text(zy.get(f"/physical/show/{qian.id}"))
    assert "上报后已修改" in shown
    report_page = text(city.get(f"/physical-reports/show/{zy_report_id}"))
    assert NAMES["qian"] in report_page
    assert "以下县（区）上报后体检结果有修改：中原区" in text(_report(city, app))
    with app.app_context():
        assert db.session.execute(select(PhysicalReport).join(Node).where(
            Node.code == "410100")).first() is None
    # The county confirms again and reports anew (superseding its report); then the city.
    step(login("zy_clerk2"), "proofread", qian.id)
    step(zy, "confirm", qian.id)
    _report(zy, app)
    _report(city, app)
    with app.app_context():
        city_report = db.session.execute(select(PhysicalReport).join(Node).where(
            Node.code == "410100")).scalar_one()
        assert city_report.confirmed == 2 + 0 + 0  # 金水区 and 二七区 had none confirmed
        assert {u["name"] for u in city_report.snapshot["units"]} == {"中原区", "二七区", "金水区"}
        assert db.session.get(PhysicalReport, zy_report_id).state == workflow.SUPERSEDED
        city_report_id = city_report.id
    # The province sees the city's report and its counties.
    page = text(province.get(f"/physical-reports/show/{city_report_id}"))
    assert "郑州市" in page and "中原区" in page and "二七区" in page
    assert city_report_id and "郑州市" in text(province.get("/physical-reports/list/"))
    # A county's report cannot be returned while the city's report above stands.
    with app.app_context():
        new_zy = db.session.execute(select(PhysicalReport.id).join(Node).where(
            Node.code == "410102", PhysicalReport.state == workflow.REPORTED)).scalar_one()
    city.post(f"/physical-reports/return/{new_zy}", {"reason": "核对"})
    with app.app_context():
        assert db.session.get(PhysicalReport, new_zy).state == workflow.REPORTED
    # The province returns the city's report, then the city may return the county's.
    province.post(f"/physical-reports/return/{city_report_id}", {"reason": "数量核对"})
    city.post(f"/physical-reports/return/{new_zy}", {"reason": "核对"})
    with app.app_context():
        assert db.session.get(PhysicalReport, city_report_id).state == workflow.RETURNED
        assert db.session.get(PhysicalReport, new_zy).return_reason == "核对"


def test_integrity_records_for_adult_candidates(app, login):
    with app.app_context():
        adult = db.session.execute(select(Candidate).join(Exam).join(Node).where(
            Exam.kind == ADULT, Node.path.like("%410102%")).order_by(Candidate.id)
        ).scalars().first()
        zhongzhao = db.session.execute(select(Candidate).join(Exam).where(
            Exam.kind == ZHONGZHAO).join(Node).where(Node.code == ZY_SCHOOL)
            .order_by(Candidate.id)).scalars().first()
        adult_ref, zz_ref, zz_name = (adult.candidate_number or adult.id_number,
                                      zhongzhao.id_number, zhongzhao.name)
    admin = login("zy_admin")
    resp = admin.post("/integrity/add", {
        "candidate_ref": adult_ref, "occurred_on": "2026-10-20", "kind": "02",
        "description": "成人高考携带手机进入考场", "decision": "当次考试各科成绩无效"})
    assert resp.status_code == 302, errors(resp)
    resp = admin.post("/integrity/add", {
        "candidate_ref": zz_ref, "occurred_on": "2026-06-07", "kind": "02",
        "description": "携带手机进入考场", "decision": "当次考试各科成绩无效"})
    assert f"{zz_name}不是普通高考考生" in " ".join(errors(resp))
