"""高考 archive through HTTP: physical results entered and corrected by the county's exam clerk
(validation, history with users and values, lock, scoping, 高考 only, the printed 体检表) and
integrity records kept by county administrators and read by reviewers.

The module builds its own database: its 高考 candidates must not change other modules' counts.
"""
import datetime as dt
import re
import shutil
import subprocess

import pytest
from sqlalchemy import delete, func, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.validators import make_id_number
from app.codes import GAOKAO, ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.gaokao import rules
from app.gaokao.models import IntegrityRecord, PhysicalExam
from app.gaokao.printing import ROWS
from app.printing.render import EXAM_ITEMS
from app.jurisdiction import Node
from helpers import text

ZY_SCHOOL, EQ_SCHOOL = "41010201", "41010301"
#: 高考 candidates of the module: key → (school, 考生号, locked)
PEOPLE = {"wang": (ZY_SCHOOL, "26410102150001", False), "li": (ZY_SCHOOL, "26410102150002", True),
          "zhao": (EQ_SCHOOL, "26410103150001", False)}
NAMES = {"wang": "王体检", "li": "李锁定", "zhao": "赵邻县"}


@pytest.fixture(scope="module")
def app(module_app):
    def people(app):
        exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO)).scalars().first()
        made = {}
        for i, (key, (school, number, locked)) in enumerate(PEOPLE.items()):
            node = db.session.execute(select(Node).where(Node.code == school)).scalar_one()
            birth = dt.date(2008, 3, 1 + i)
            made[key] = Candidate(exam=exam, node=node, name=NAMES[key], gender="1",
                                  birth_date=birth, id_number=make_id_number("410102", birth, 301),
                                  candidate_number=number, locked=locked)
            db.session.add(made[key])
        db.session.flush()
        # The sibling county's record exists already.
        db.session.add(PhysicalExam(candidate=made["zhao"], **record_values(), hospital="二七区医院"))

    with module_app("gk", people) as app:
        yield app


def record_values():
    return dict(exam_date=dt.date(2026, 4, 10), vision_naked_right=5.0, vision_naked_left=5.1,
                colour_vision="1", bp_systolic=118, bp_diastolic=76, height=172.5, weight=61.0,
                hearing_right=5.0, hearing_left=5.0, smell="1", conclusion="1", doctor="刘医生")


def form(**changes):
    """A complete, consistent paper form as posted; ``changes`` override fields."""
    data = {
        "serial": "TJ0001", "hospital": "中原区人民医院", "exam_date": "2026-04-10",
        "doctor": "张主检", "history": "", "vision_naked_right": "4.8", "vision_naked_left": "4.9",
        "vision_corrected_right": "5.0", "vision_corrected_left": "5.0", "lens_right": "-300",
        "lens_left": "-250", "colour_vision": "1", "eye_disease": "", "bp_systolic": "118",
        "bp_diastolic": "76", "heart": "正常", "lungs": "正常", "abdomen": "正常",
        "nervous": "正常", "height": "172.5", "weight": "61.0", "skin": "正常",
        "spine": "正常", "limbs": "正常", "hearing_right": "5", "hearing_left": "5",
        "smell": "1", "ent": "正常", "lips_palate": "正常", "teeth": "正常",
        "chest_xray": "未见异常", "alt": "23", "other": "", "restriction_list": ["24"],
        "conclusion": "2",
    }
    data.update(changes)
    return data


def candidate(app, key):
    with app.app_context():
        return db.session.execute(select(Candidate).where(
            Candidate.name == NAMES[key])).scalar_one()


def record_of(app, key):
    with app.app_context():
        return db.session.execute(select(PhysicalExam).join(Candidate).where(
            Candidate.name == NAMES[key])).scalar_one_or_none()


def errors(resp):
    """The error messages FAB renders under the form fields."""
    return [re.sub(r"\s+", " ", e).strip()
            for e in re.findall(r'<div class="alert alert-danger">(.*?)</div>', text(resp), re.S)]


@pytest.fixture
def entered(app, login):
    """王体检's physical record, entered afresh by the clerk for this test: the record an
    earlier test entered and changed is removed first."""
    with app.app_context():
        db.session.execute(delete(PhysicalExam).where(
            PhysicalExam.candidate_id == candidate(app, "wang").id))
        db.session.commit()
    resp = login("zy_clerk").post("/physical/add", form(candidate_ref="26410102150001"))
    assert resp.status_code == 302, errors(resp)
    return record_of(app, "wang")


# --- plain rules -----------------------------------------------------------------------------

def test_measures_are_parsed_with_their_ranges(app):
    with app.test_request_context():
        assert rules.parse_measure("vision_naked_right", "４．８") == 4.8
        assert rules.parse_measure("lens_left", "-350") == -350
        assert rules.parse_measure("alt", "") is None
        for key, value, code in [("vision_naked_right", "6.1", "range"),
                                 ("vision_naked_right", "4.85", "decimals"),
                                 ("lens_left", "-330", "step"), ("bp_systolic", "abc", "number"),
                                 ("height", "", "required"), ("bp_systolic", "120.5", "decimals")]:
            with pytest.raises(rules.InvalidValue) as exc:
                rules.parse_measure(key, value)
            assert exc.value.code == code, (key, value)


def test_restrictions_follow_the_results(app):
    with app.test_request_context():
        base = {"vision_naked_right": 5.0, "vision_naked_left": 5.0, "colour_vision": "1",
                "hearing_right": 5, "hearing_left": 5, "smell": "1"}
        assert rules.required_restrictions(base) == {}
        found = rules.required_restrictions({**base, "vision_naked_left": 4.7,
                                             "colour_vision": "2", "lens_left": -850,
                                             "hearing_right": 5, "hearing_left": 0})
        assert set(found) == {"21", "24", "25", "34", "35", "37"}
        assert rules.restriction_problem({**base, "restrictions": ["21"]}) is not None
        assert rules.expected_conclusion([]) == "1"
        assert rules.expected_conclusion(["34", "24"]) == "2"
        assert rules.expected_conclusion(["34", "15"]) == "4"


def test_every_row_of_the_printed_form_has_its_result():
    assert {item for _section, items in EXAM_ITEMS for item in items} == set(ROWS)


# --- physical examination through HTTP ----------------------------------------------------------

def test_clerk_enters_and_admin_corrects_with_history(app, login, entered):
    assert entered.vision_naked_right == 4.8 and entered.restrictions == "24"
    assert entered.hospital == "中原区人民医院"
    version_before = candidate(app, "wang").version
    admin = login("zy_admin")
    resp = admin.post(f"/physical/edit/{entered.id}", form(hospital="郑州市第一人民医院",
                                                            vision_naked_left="4.7",
                                                            restriction_list=["24", "25"]))
    assert resp.status_code == 302, errors(resp)
    # The printed 体检表 binds the candidate's version: a change moves it; saving the same
    # values again does not.
    version_after = candidate(app, "wang").version
    assert version_after > version_before
    admin.post(f"/physical/edit/{entered.id}", form(hospital="郑州市第一人民医院",
                                                     vision_naked_left="4.7",
                                                     restriction_list=["24", "25"]))
    assert candidate(app, "wang").version == version_after

    page = text(login("zy_clerk").get(f"/physical/show/{entered.id}"))
    history = page[page.index("修改记录"):]
    assert "zy_clerk" in history and "zy_admin" in history
    assert "录入" in history and "修改" in history
    # before and after, as labelled values
    assert "中原区人民医院" in history and "郑州市第一人民医院" in history
    assert "裸眼视力（左眼）" in history and "4.9" in history and "4.7" in history
    assert "二5 裸眼视力任何一眼低于4.8" in history
    with app.app_context():
        # This record's rows from its entry on (earlier tests' records may have had its id).
        entry = select(func.max(AuditLog.id)).where(
            AuditLog.table_name == "ks_physical_exam", AuditLog.row_id == entered.id,
            AuditLog.action == "insert").scalar_subquery()
        rows = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_physical_exam", AuditLog.row_id == entered.id,
            AuditLog.id >= entry, AuditLog.username.like("zy_%"))
            .order_by(AuditLog.id)).scalars().all()
    assert [(r.username, r.action) for r in rows] == [("zy_clerk", "insert"),
                                                      ("zy_admin", "update")]
    assert rows[0].changes["candidate_id"] == [None, entered.candidate_id]
    assert rows[1].row_id == entered.id
    assert rows[1].changes["vision_naked_left"] == [4.9, 4.7]


def test_validation_errors_are_clear_and_keep_the_input(app, login):
    clerk = login("zy_clerk")
    resp = clerk.post("/physical/add", form(
        candidate_ref="26410102150001" if record_of(app, "wang") is None else "",
        vision_naked_right="6.1", bp_systolic="abc", lens_left="-330",
        vision_corrected_left="4.6", vision_naked_left="4.9", hospital="保留的医院名称"))
    assert resp.status_code == 200
    messages = " ".join(errors(resp))
    assert "裸眼视力（右眼）应在0.0至5.3之间，6.1超出范围。" in messages
    assert "收缩压（mmHg）：“abc”不是有效的数值。" in messages
    assert "矫正度数（左眼，度）须为25的整数倍。" in messages
    assert "矫正视力（4.6）低于裸眼视力（4.9）。" in messages
    page = text(resp)
    assert 'value="保留的医院名称"' in page and 'value="6.1"' in page and 'value="abc"' in page


def test_conclusion_and_codes_must_agree_with_the_results(app, login):
    clerk = login("zy_clerk")
    resp = clerk.post("/physical/add", form(candidate_ref="26410102150002",
                                            restriction_list=[], conclusion="1"))
    messages = " ".join(errors(resp))
    assert "根据检查结果（裸眼视力低于5.0），应填写受限代码“二4 裸眼视力任何一眼低于5.0”" in messages
    resp = clerk.post("/physical/add", form(candidate_ref="26410102150002", conclusion="1"))
    assert "按所录受限代码，体检结论应为“有关专业可不予录取”。" in " ".join(errors(resp))


def test_the_registration_lock_does_not_stop_results(app, login, entered):
    """The examination comes after the 报名登记表 was signed: results are entered and changed
    on locked records, each change in the history with its user."""
    clerk = login("zy_clerk")
    resp = clerk.post("/physical/add", form(candidate_ref="26410102150002"), follow_redirects=True)
    assert record_of(app, "li") is not None, errors(resp)
    with app.app_context():
        db.session.get(Candidate, entered.candidate_id).locked = True
        db.session.commit()
    try:
        assert 'name="hospital"' in text(clerk.get(f"/physical/edit/{entered.id}"))
        clerk.post(f"/physical/edit/{entered.id}", form(hospital="签字后复查医院"))
        assert record_of(app, "wang").hospital == "签字后复查医院"
        history = text(clerk.get(f"/physical/show/{entered.id}"))
        assert "签字后复查医院" in history
    finally:
        with app.app_context():
            db.session.get(Candidate, entered.candidate_id).locked = False
            db.session.delete(db.session.get(PhysicalExam, record_of(app, "li").id))
            db.session.commit()


def test_only_gaokao_candidates(app, login):
    with app.app_context():
        zhongzhao = db.session.execute(select(Candidate).join(Exam).join(Node).where(
            Exam.kind == ZHONGZHAO, Node.code == ZY_SCHOOL).order_by(Candidate.id)
        ).scalars().first()
        number, name = zhongzhao.id_number, zhongzhao.name
    clerk = login("zy_clerk")
    resp = clerk.post("/physical/add", form(candidate_ref=number))
    assert f"{name}不是普通高考考生" in " ".join(errors(resp))
    resp = login("zy_admin").post("/integrity/add", {
        "candidate_ref": number, "occurred_on": "2026-06-07", "kind": "02",
        "description": "携带手机进入考场", "decision": "当次考试各科成绩无效"})
    assert f"{name}不是普通高考考生" in " ".join(errors(resp))


def test_sibling_county_answers_404(app, login, entered):
    zhao = record_of(app, "zhao")
    clerk = login("zy_clerk")
    for url in (f"/physical/show/{zhao.id}", f"/physical/edit/{zhao.id}"):
        assert clerk.get(url).status_code == 404
    assert "赵邻县" not in text(clerk.get("/physical/list/"))
    # A sibling's candidate cannot be named on the form either.
    resp = clerk.post("/physical/add", form(candidate_ref="26410103150001"))
    assert "您的管辖范围内没有该身份证号、考生号或系统编号对应的考生。" in " ".join(errors(resp))
    # The other way round: 二七区 sees neither the record nor its history.
    eq = login("eq_admin")
    assert eq.get(f"/physical/show/{entered.id}").status_code == 404
    assert "王体检" not in text(eq.get("/physical/list/"))
    assert eq.post(f"/physical/delete/{entered.id}").status_code == 404
    assert record_of(app, "wang") is not None


def test_one_record_per_candidate(app, login, entered):
    resp = login("zy_clerk").post("/physical/add", form(candidate_ref="26410102150001"))
    assert "王体检已有体检记录，请在原记录上修改。" in " ".join(errors(resp))


def test_schools_do_not_see_physical_results(app, login, school_staff, entered):
    assert school_staff.get(f"/physical/show/{entered.id}").status_code == 403
    page = text(school_staff.get(f"/candidateview/show/{entered.candidate_id}"))
    assert 'href="#GuardianView"' in page  # the tabs the school may read are there
    assert 'href="#PhysicalExamView"' not in page and 'href="#IntegrityRecordView"' not in page
    clerk = login("zy_clerk")
    clerk_page = text(clerk.get(f"/candidateview/show/{entered.candidate_id}"))
    assert 'href="#PhysicalExamView"' in clerk_page
    assert record_of(app, "wang").hospital in clerk_page
    # The tab's add link opens the form with the candidate filled in.
    add = text(clerk.get(f"/physical/add?_flt_0_candidate={entered.candidate_id}"))
    assert 'value="26410102150001"' in add


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) not installed")


@needs_pdftotext
def test_printed_form_shows_the_results(app, county_admin, entered):
    # Results print for signing once confirmed (tests/test_gaokao_physical_confirm.py).
    with app.app_context():
        db.session.get(PhysicalExam, entered.id).state = "confirmed"
        db.session.commit()
    resp = county_admin.get(f"/print/physical/{entered.candidate_id}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=resp.data,
                         capture_output=True, check=True).stdout.decode()
    flat = "".join(out.split())
    record = record_of(app, "wang")
    assert "考生体格检查表" in flat and "体检结论" in flat
    assert f"{record.vision_naked_right:.1f}/{record.vision_naked_left:.1f}" in flat
    assert "118/76mmHg" in flat and "172.5" in flat and "ALT）23U/L" in flat
    assert "有关专业可不予录取" in flat and "受限代码：二4" in flat
    assert record.hospital in flat and "张主检" in flat
    # A candidate without results still gets the blank form.
    blank = county_admin.get(f"/print/physical/{candidate(app, 'li').id}.pdf")
    flat_blank = "".join(subprocess.run(["pdftotext", "-", "-"], input=blank.data,
                                        capture_output=True, check=True).stdout.decode().split())
    assert "考生本人如实填写" in flat_blank and "mmHg" not in flat_blank


# --- integrity records ----------------------------------------------------------------------------

def test_integrity_records_for_reviewers_of_the_subtree(app, login):
    admin = login("zy_admin")
    resp = admin.post("/integrity/add", {
        "candidate_ref": "26410102150001", "occurred_on": "2026-06-07", "kind": "02",
        "description": "语文科目考试中携带手机进入考场", "decision": "当次考试各科成绩无效",
        "document_number": "郑招考〔2026〕8号"})
    assert resp.status_code == 302, errors(resp)
    with app.app_context():
        record = db.session.execute(select(IntegrityRecord).join(Candidate).where(
            Candidate.name == NAMES["wang"])).scalar_one()
        rid, cid = record.id, record.candidate_id
    reviewer = login("zy_reviewer")
    page = text(reviewer.get(f"/candidateview/show/{cid}"))
    assert 'href="#IntegrityRecordView"' in page and "郑招考〔2026〕8号" in page
    shown = text(reviewer.get(f"/integrity/show/{rid}"))
    assert "考试作弊（第六条）" in shown and "zy_admin" in shown  # history names the recorder
    # Reviewers read, they do not write; schools do not see it; the sibling county gets 404.
    assert reviewer.get("/integrity/add").status_code == 403
    assert login("zy_school").get(f"/integrity/show/{rid}").status_code == 403
    assert login("eq_admin").get(f"/integrity/show/{rid}").status_code == 404
    # Violations are found when records are signed: the lock does not stop them.
    resp = admin.post("/integrity/add", {
        "candidate_ref": "26410102150002", "occurred_on": "2026-06-08", "kind": "01",
        "description": "考试结束信号发出后继续答题", "decision": "该科目考试成绩无效"})
    assert resp.status_code == 302, errors(resp)


def test_integrity_validation(app, login):
    resp = login("zy_admin").post("/integrity/add", {
        "candidate_ref": "26410102150001", "occurred_on": "2062-06-07", "kind": "",
        "description": "", "decision": "当次考试各科成绩无效"})
    assert resp.status_code == 200
    messages = errors(resp)
    assert len(messages) == 3, messages  # date, kind and facts
    assert "2062-06-07" in messages[0]
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in messages), messages
