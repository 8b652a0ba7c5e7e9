"""Printable forms through HTTP: every form for demo candidates (text, labels, verification
code, embedded photo), scoping (another county: 404), batch printing into one merged PDF
through the job path (in-process, or rq with KAOSHENG_TEST_REDIS), and the print log; batches by
class, forms per exam kind, the version that follows every printed part, the verification
screen, admission tickets and the purge of old batch PDFs."""
import datetime as dt
import io
import os
import re
import shutil
import subprocess
from urllib.parse import urlencode

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.printing import hooks
from app.printing.models import AdmissionTicket, PrintBatch
from app.printing.pdf import page_count
from app.printing.render import (BATCH_KINDS, CANDIDATE_KINDS, candidate_code, check_code, code_for,
                              forms_for)
from app.jurisdiction import Node
from photo_faces import encode, portrait

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext (poppler-utils) not installed")

LABELS = {
    "registration": ["报名登记表", "姓名", "性别", "民族", "身份证号", "政治面貌", "学籍号",
                     "监护人信息", "学习简历", "考生签字", "监护人签字", "学校审核签章", "日期"],
    "process": ["报名流程表", "现场确认", "网上缴费", "打印准考证", "经办人签字"],
    "physical": ["考生体格检查表", "裸眼视力", "血压", "身高", "胸部X线", "体检结论", "医师签字"],
    "preferences": ["志愿表", "第一志愿", "第六志愿", "学校代码", "是否服从调剂"],
    "ticket": ["准考证", "准考证号", "考点", "考场号", "座位号", "考试科目及时间", "语文"],
    "admitted": ["考生登记表", "家庭主要成员", "综合素质评定", "录取学校", "学校意见"],
}


def pdftotext(pdf):
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                         check=True).stdout.decode()
    return out


def flat(text):
    return "".join(text.split())


def images(pdf):
    return [im for page in PdfReader(io.BytesIO(pdf)).pages for im in page.images]


def zhongzhao(app):
    """The 中招 exam the demo candidates belong to."""
    with app.app_context():
        return db.session.execute(
            select(Candidate.exam_id).join(Exam).where(Exam.kind == ZHONGZHAO)
            .order_by(Candidate.id).limit(1)).scalar_one()


def school_candidates(app, code):
    """(id, name, id_number) of a school's 中招 candidates, in id order."""
    with app.app_context():
        return db.session.execute(
            select(Candidate.id, Candidate.name, Candidate.id_number).join(Node)
            .where(Node.code == code, Candidate.exam_id == zhongzhao(app),
                   Candidate.locked.is_(False))  # locked ones belong to the review tests
            .order_by(Candidate.id)).all()


def expected_code(app, kind, candidate_id):
    with app.app_context():
        return candidate_code(kind, db.session.get(Candidate, candidate_id))


def ensure_ticket(app, candidate_id):
    with app.app_context():
        if db.session.execute(select(AdmissionTicket).where(
                AdmissionTicket.candidate_id == candidate_id)).scalar_one_or_none() is None:
            db.session.add(AdmissionTicket(
                candidate_id=candidate_id, ticket_number=f"26{candidate_id:011d}",
                site="郑州市第五十七中学考点", room="07", seat="21",
                timetable=[{"subject": "语文", "start": "2026-06-26 09:00", "end": "2026-06-26 11:00"},
                           {"subject": "数学", "start": "2026-06-26 15:00", "end": "2026-06-26 17:00"}]))
            db.session.commit()


def print_logs(app, **match):
    with app.app_context():
        rows = db.session.execute(select(AuditLog).where(AuditLog.action == "print")
                                  .order_by(AuditLog.id)).scalars().all()
        return [r.changes for r in rows
                if all((r.changes or {}).get(k) == v for k, v in match.items())]


@pytest.fixture
def printed(monkeypatch):
    """Records every call of the registration hook."""
    calls = []
    monkeypatch.setattr(hooks, "registration_printed", lambda c: calls.append(c.id))
    return calls


@pytest.fixture
def school(login):
    return login("zy_school")


@pytest.fixture
def with_photo(app, school):
    """A 41010201 candidate with a photo uploaded through the capture endpoint."""
    cand = school_candidates(app, "41010201")[-1]
    school.refresh_token("/photos/import/")
    resp = school.post(f"/photos/candidate/{cand.id}/upload?kind=photo",
                       {"file": (io.BytesIO(encode(portrait())), "p.jpg")},
                       content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert resp.status_code == 200 and resp.get_json()["ok"], resp.get_data(as_text=True)[:500]
    ensure_ticket(app, cand.id)
    return cand


@needs_pdftotext
@pytest.mark.parametrize("kind", forms_for(ZHONGZHAO))
def test_every_candidate_form_prints(app, school, with_photo, printed, kind):
    cand = with_photo
    resp = school.get(f"/print/{kind}/{cand.id}.pdf")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf"
    pdf = resp.data
    assert page_count(pdf) == 1
    text = flat(pdftotext(pdf))
    assert cand.name in text
    assert cand.id_number in text  # full ID number for entry staff's forms
    for label in LABELS[kind]:
        assert label in text, label
    code = expected_code(app, kind, cand.id)
    assert code in text and "校验码" in text and "生成时间" in text
    if kind in ("registration", "physical", "ticket", "admitted"):
        assert [im.image.size for im in images(pdf)] == [(450, 600)]
    assert printed == ([cand.id] if kind == "registration" else [])
    logged = print_logs(app, kind=kind, candidate_id=cand.id)
    assert logged and logged[-1]["code"] == code
    with app.app_context():
        assert check_code(code.lower(), kind, db.session.get(Candidate, cand.id))
        assert not check_code(code, "draft", db.session.get(Candidate, cand.id))


@needs_pdftotext
def test_registration_shows_code_labels_guardian_and_no_photo_placeholder(app, school):
    cand = school_candidates(app, "41010201")[0]
    pdf = school.get(f"/print/registration/{cand.id}.pdf").data
    text = flat(pdftotext(pdf))
    with app.app_context():
        c = db.session.get(Candidate, cand.id)
        guardian = c.guardians[0].name if c.guardians else None
        school_name = c.node.name
    # Codes print as their names (GB 3304 / GB/T 4762), not as codes.
    assert "汉族" in text and "中国共产主义青年团" in text and ("男" in text or "女" in text)
    if guardian:
        assert guardian in text and "父亲" in text
    assert school_name in text
    if not images(pdf):
        assert "照片" in text


def test_ticket_without_ticket_is_404_with_message(app, school):
    with app.app_context():
        ticketed = set(db.session.execute(select(AdmissionTicket.candidate_id)).scalars())
    cand = next(c for c in school_candidates(app, "41010201") if c.id not in ticketed)
    resp = school.get(f"/print/ticket/{cand.id}.pdf")
    assert resp.status_code == 404
    assert "尚未" in resp.get_data(as_text=True) and "准考证" in resp.get_data(as_text=True)


@needs_pdftotext
def test_blank_draft_form(app, school):
    resp = school.get("/print/draft.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = flat(pdftotext(resp.data))
    for label in ("考生信息采集草表", "姓名", "身份证号", "监护人信息", "学习简历", "考生签字",
                  "监护人签字", "校验码"):
        assert label in text, label
    with app.app_context():
        assert code_for("draft", 0, 1) in text
    assert print_logs(app, kind="draft")


@needs_pdftotext
def test_publicity_list_masks_id_numbers_and_paginates(app, login):
    admin = login("zy_admin")
    with app.app_context():
        node_id = db.session.execute(select(Node.id).where(Node.code == "41010202")).scalar_one()
    school_ids = school_candidates(app, "41010202")
    exam = zhongzhao(app)
    resp = admin.get(f"/print/publicity/{node_id}.pdf?exam={exam}")
    assert resp.status_code == 200
    text = flat(pdftotext(resp.data))
    assert "公示" in text and "身份证号" in text and "结果" in text
    for _, name, id_number in school_ids:
        assert name in text
        assert id_number not in text
        assert id_number[:4] + "*" * 10 + id_number[-4:] in text
    assert page_count(resp.data) == -(-len(school_ids) // 30)
    assert print_logs(app, kind="publicity", node_id=node_id)
    assert admin.get(f"/print/publicity/{node_id}.pdf").status_code == 400  # no exam chosen

    # 30 rows per page, done by the template (xhtml2pdf's long tables are O(n²)).
    from app.printing.render import render_form

    with app.test_request_context():
        node = db.session.get(Node, node_id)
        cands = db.session.execute(select(Candidate).where(Candidate.node_id == node_id)).scalars().all()
        pdf = render_form("publicity", node=node, exam=db.session.get(Exam, exam),
                          candidates=(cands * 3)[:61])
    assert page_count(pdf) == 3


def test_other_county_cannot_print(app, login):
    own = school_candidates(app, "41010201")[0]
    eq = login("eq_admin")
    for kind in CANDIDATE_KINDS:
        assert eq.get(f"/print/{kind}/{own.id}.pdf").status_code == 404
    with app.app_context():
        node_id = db.session.execute(select(Node.id).where(Node.code == "41010201")).scalar_one()
    assert eq.get(f"/print/publicity/{node_id}.pdf?exam={zhongzhao(app)}").status_code == 404
    assert login("zy_school").get(f"/print/registration/{school_candidates(app, '41010301')[0].id}.pdf"
                                  ).status_code == 404
    assert login("eq_school").get("/print/unknown/1.pdf").status_code == 404


def test_reviewers_do_not_print(app, login):
    own = school_candidates(app, "41010201")[0]
    reviewer = login("zy_reviewer")
    assert reviewer.get(f"/print/registration/{own.id}.pdf").status_code == 403
    assert reviewer.get("/print/batch").status_code == 403


# --- batch printing -------------------------------------------------------------------




def start_batch(client, **form):
    client.refresh_token("/print/batch")
    resp = client.post("/print/batch", form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    return batch_id


def finished(client, batch_id, run_jobs):
    run_jobs()
    status = client.get(f"/print/batch/{batch_id}/status").get_json()
    assert status["status"] == "done", status
    assert status["percent"] == 100 and status["result_url"]
    resp = client.get(status["result_url"])
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    return status, resp.data


@needs_pdftotext
def test_batch_for_a_school_is_one_merged_pdf(app, login, run_jobs, printed):
    admin = login("zy_admin")
    with app.app_context():
        node_id = db.session.execute(select(Node.id).where(Node.code == "41010202")).scalar_one()
    # Every 中招 candidate of the school (other tests add and lock some), in print order:
    # by 学籍号, then id, as the class lists run.
    with app.app_context():
        cands = db.session.execute(
            select(Candidate.id, Candidate.name, Candidate.id_number)
            .where(Candidate.node_id == node_id, Candidate.exam_id == zhongzhao(app))
            .order_by(Candidate.student_number, Candidate.id)).all()
    assert len(cands) > 1
    batch_id = start_batch(admin, kind="registration", exam=zhongzhao(app), node=node_id)
    page = admin.get(f"/print/batch/{batch_id}")
    assert page.status_code == 200 and f"/print/batch/{batch_id}/status" in page.text
    status, pdf = finished(admin, batch_id, run_jobs)
    per_form = page_count(admin.get(f"/print/registration/{cands[0].id}.pdf").data)
    assert status["total"] == len(cands) and status["pages"] == len(cands) * per_form
    assert page_count(pdf) == len(cands) * per_form
    text = flat(pdftotext(pdf))
    for c in cands:
        assert c.name in text and c.id_number in text
        assert expected_code(app, "registration", c.id) in text
    assert set(printed) >= {c.id for c in cands}
    with app.app_context():
        batch = db.session.get(PrintBatch, batch_id)
        assert batch.candidate_ids == [c.id for c in cands]
        assert batch.result_path.startswith(app.config["UPLOAD_DIR"])
    done_log = [e for e in print_logs(app, batch_id=batch_id) if "candidates" in e]
    assert done_log and done_log[-1]["candidates"] == [c.id for c in cands]
    assert print_logs(app, batch_id=batch_id, node_id=node_id)  # the request itself
    # The batch list shows it; the draft and publicity links are offered.
    listing = admin.get("/print/batch").get_data(as_text=True)
    assert f"/print/batch/{batch_id}" in listing and "/print/draft.pdf" in listing


@needs_pdftotext
def test_batch_with_foreign_ids_prints_only_in_scope(app, login, run_jobs):
    school = login("zy_school")
    own = school_candidates(app, "41010201")[:3]
    foreign = school_candidates(app, "41010301")[:2]
    ids = [foreign[0].id, own[0].id, own[1].id, foreign[1].id, own[2].id, own[0].id]
    batch_id = start_batch(school, kind="physical", exam=zhongzhao(app),
                           ids=",".join(str(i) for i in ids))
    status, pdf = finished(school, batch_id, run_jobs)
    assert status["total"] == 3 and page_count(pdf) == 3
    text = flat(pdftotext(pdf))
    for c in own:
        assert c.id_number in text
    for c in foreign:
        assert c.id_number not in text
    with app.app_context():
        assert db.session.get(PrintBatch, batch_id).candidate_ids == [c.id for c in own]


def test_batch_of_another_county_is_404(app, login, run_jobs):
    school = login("zy_school")
    own = school_candidates(app, "41010201")[:2]
    batch_id = start_batch(school, kind="physical", exam=zhongzhao(app),
                           ids=" ".join(str(c.id) for c in own))
    finished(school, batch_id, run_jobs)
    assert login("zy_admin").get(f"/print/batch/{batch_id}/status").status_code == 200
    eq = login("eq_admin")
    for url in (f"/print/batch/{batch_id}", f"/print/batch/{batch_id}/status",
                f"/print/batch/{batch_id}/download"):
        assert eq.get(url).status_code == 404, url
    assert f"/print/batch/{batch_id}\"" not in eq.get("/print/batch").get_data(as_text=True)
    # A unit outside the subtree cannot even be asked for.
    with app.app_context():
        zy_school = db.session.execute(select(Node.id).where(Node.code == "41010201")).scalar_one()
    eq.refresh_token("/print/batch")
    assert eq.post("/print/batch", {"kind": "registration", "exam": zhongzhao(app),
                                    "node": zy_school}).status_code == 404


def test_ticket_batch_skips_candidates_without_ticket(app, login, run_jobs):
    school = login("zy_school")
    cands = school_candidates(app, "41010201")[:3]
    ensure_ticket(app, cands[1].id)
    with app.app_context():
        ticketed = set(db.session.execute(select(AdmissionTicket.candidate_id)).scalars())
    expected = sum(1 for c in cands if c.id in ticketed)
    batch_id = start_batch(school, kind="ticket", exam=zhongzhao(app),
                           ids=",".join(str(c.id) for c in cands))
    status, pdf = finished(school, batch_id, run_jobs)
    assert status["done"] == expected and status["skipped"] == 3 - expected
    assert page_count(pdf) == expected


def test_rerun_of_a_batch_is_idempotent(app, login, run_jobs):
    from app.printing.tasks import run_batch

    school = login("zy_school")
    own = school_candidates(app, "41010201")[:2]
    batch_id = start_batch(school, kind="preferences", exam=zhongzhao(app),
                           ids=",".join(str(c.id) for c in own))
    first, _ = finished(school, batch_id, run_jobs)
    if app.config.get("REDIS_URL"):
        return  # the rerun below runs in-process; rq mode is covered by the worker above
    with app.app_context():
        result = run_batch(batch_id)
    assert result["status"] == "done" and result["pages"] == first["pages"] == 2


def test_bad_batch_requests(app, school):
    school.refresh_token("/print/batch")
    assert school.post("/print/batch", {"kind": "draft", "exam": zhongzhao(app), "ids": "1"}
                       ).status_code == 400
    assert school.post("/print/batch", {"kind": "registration", "exam": zhongzhao(app)}
                       ).status_code == 400
    assert school.get("/print/batch/999999/status").status_code == 404
    assert set(BATCH_KINDS) == set(CANDIDATE_KINDS)


# --- candidates of every exam kind ------------------------------------------------------------

_ids = iter(range(301, 999, 2))  # odd: male; births of 2009 are not used by the demo data


def make_candidate(app, kind, school="41010201", **extra):
    """A fresh candidate of the 2026 exam of ``kind`` at ``school``; returns its id."""
    from app.validators import make_id_number

    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == kind, Exam.year == 2026)
                                  ).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == school)).scalar_one()
        birth = dt.date(2009, 3, 3)
        fields = dict(name="试印考生", gender="1", ethnicity="01", political_status="03",
                      phone="13800138000", hukou="410102", category="01")
        fields.update(extra)
        cand = Candidate(exam=exam, node=node, birth_date=birth,
                         id_number=make_id_number("410102", birth, next(_ids)), **fields)
        db.session.add(cand)
        db.session.commit()
        return cand.id


def pdf_text(client, kind, cid):
    resp = client.get(f"/print/{kind}/{cid}.pdf")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-800:]
    return flat(pdftotext(resp.data))


@pytest.fixture
def adult(app):
    """A 成人高考 candidate (高起本, 理工类) with two stored preferences."""
    from app.candidates.models import Preference
    from app.codes import ADULT

    cid = make_candidate(app, ADULT, name="成人考生", political_status="13", category="01",
                         education_level="60", occupation="2", work_start=dt.date(2015, 7, 1),
                         hukou="370102")
    with app.app_context():
        db.session.add_all([
            Preference(candidate_id=cid, seq=1, level="01", track="2", study_form="2",
                       school_code="10459", school_name="郑州大学", major_code="080901",
                       major_name="计算机科学与技术", adjust=True),
            Preference(candidate_id=cid, seq=2, level="02", track="2", study_form="3",
                       school_code="10462", school_name="郑州轻工业大学", major_code="630302",
                       major_name="大数据与会计", adjust=False)])
        db.session.commit()
    return cid


@needs_pdftotext
def test_process_form_is_for_adult_candidates_only(app, school, adult):
    from app.codes import ADULT

    zz = school_candidates(app, "41010201")[0]
    resp = school.get(f"/print/process/{zz.id}.pdf")
    assert resp.status_code == 400 and resp.mimetype != "application/pdf"
    assert "报名流程表仅适用于" in resp.get_data(as_text=True)
    assert not print_logs(app, kind="process", candidate_id=zz.id)
    # The candidate page only offers the forms of the candidate's exam kind.
    page = school.get(f"/candidateview/show/{zz.id}").get_data(as_text=True)
    assert f"/print/registration/{zz.id}.pdf" in page and f"/print/process/{zz.id}.pdf" not in page
    assert f"/print/process/{adult}.pdf" in school.get(f"/candidateview/show/{adult}").text

    text = pdf_text(school, "process", adult)
    for label in LABELS["process"] + ["成人考生", "成人高考"]:
        assert label in text, label
    # Batch: refused up front for a 中招 exam, printed for the 成人高考 one.
    school.refresh_token("/print/batch")
    resp = school.post("/print/batch", {"kind": "process", "exam": zhongzhao(app), "node": "",
                                        "ids": str(zz.id)})
    assert resp.status_code == 400 and "报名流程表仅适用于" in resp.get_data(as_text=True)
    with app.app_context():
        adult_exam = db.session.execute(select(Exam.id).where(Exam.kind == ADULT,
                                                             Exam.year == 2026)).scalar_one()
    # Listed ids without an exam: candidates of other kinds are skipped one by one.
    batch_id = start_batch(school, kind="process", ids=f"{zz.id},{adult}")
    status, pdf = finished(school, batch_id, school.run_jobs)
    assert (status["done"], status["skipped"]) == (1, 1) and page_count(pdf) == 1
    assert "成人考生" in flat(pdftotext(pdf))
    batch_id = start_batch(school, kind="process", exam=adult_exam, ids=str(adult))
    assert finished(school, batch_id, school.run_jobs)[0]["done"] == 1


@needs_pdftotext
def test_registration_adult_and_gaokao_branches(app, school, adult):
    from app.codes import GAOKAO

    text = pdf_text(school, "registration", adult)
    for label in ("文化程度", "普通高中", "参加工作时间", "2015年07月01日", "职业", "专业技术人员",
                  "成人高等学校招生考试", "高起本", "群众"):
        assert label in text, label
    assert "外语语种" in text and "考生特征" in text  # the 基本信息 of issue 18.1
    assert "科类" not in text  # the 高考 branch's
    assert "户籍所在地370102" in text  # outside the province's tree: the code itself

    gk = make_candidate(app, GAOKAO, name="高考考生", subject_track="3", foreign_language="1",
                        graduation_school="郑州市第一中学", category="01")
    text = pdf_text(school, "registration", gk)
    for label in ("科类", "物理类", "外语语种", "英语", "毕业学校", "郑州市第一中学",
                  "普通高中应届", "高考考生"):
        assert label in text, label
    assert "文化程度" not in text


@needs_pdftotext
def test_hukou_prints_the_place_name(app, school):
    cand = school_candidates(app, "41010201")[0]
    text = pdf_text(school, "registration", cand.id)
    assert "户籍所在地河南省郑州市中原区" in text


@needs_pdftotext
def test_preference_form_from_stored_preferences(app, school, adult):
    text = pdf_text(school, "preferences", adult)
    for label in ("报考层次", "高起本", "科类", "理工类", "第一志愿", "郑州大学", "080901",
                  "计算机科学与技术", "业余", "第二志愿", "高起专", "郑州轻工业大学", "大数据与会计",
                  "函授", "服从调剂", "第六志愿"):
        assert label in text, label
    assert text.index("郑州大学") < text.index("郑州轻工业大学")  # in seq order
    # A caller's own rows win over the stored ones; a 中招 form has no adult head.
    from app.printing.render import render_form

    with app.test_request_context():
        pdf = render_form("preferences", db.session.get(Candidate, adult),
                          preferences=[{"code": "99999", "name": "临时院校"}])
        zz = render_form("preferences", db.session.get(
            Candidate, school_candidates(app, "41010201")[0].id))
    given = flat(pdftotext(pdf))
    assert "临时院校" in given and "郑州大学" not in given
    assert "报考层次" not in flat(pdftotext(zz))


# --- batch printing by class and from the candidate list -------------------------------------


@pytest.fixture
def classes(app):
    """41010202's unlocked 中招 candidates split into two classes: (ids of 一班, ids of 二班)."""
    cands = school_candidates(app, "41010202")
    first, second = [c.id for c in cands[:3]], [c.id for c in cands[3:]]
    with app.app_context():
        for cid in first + second:
            db.session.get(Candidate, cid).class_name = "九年级一班" if cid in first else "九年级二班"
        db.session.commit()
    return first, second


def test_batch_for_one_class(app, login, run_jobs, classes):
    first, second = classes
    admin = login("zy_admin")
    with app.app_context():
        node_id = db.session.execute(select(Node.id).where(Node.code == "41010202")).scalar_one()
        other_exam = db.session.execute(select(Exam.id).where(Exam.id != zhongzhao(app))
                                        ).scalars().first()
    listed = admin.get(f"/print/batch/classes?node={node_id}&exam={zhongzhao(app)}").get_json()
    assert {"九年级一班", "九年级二班"} <= set(listed["classes"])
    assert admin.get(f"/print/batch/classes?node={node_id}&exam={other_exam}"
                     ).get_json()["classes"] == []
    assert login("eq_admin").get(f"/print/batch/classes?node={node_id}&exam={zhongzhao(app)}"
                                 ).status_code == 404

    batch_id = start_batch(admin, kind="physical", exam=zhongzhao(app), node=node_id,
                           class_name="九年级一班")
    status, pdf = finished(admin, batch_id, run_jobs)
    assert status["total"] == len(first) and page_count(pdf) == len(first)
    with app.app_context():
        assert db.session.get(PrintBatch, batch_id).candidate_ids == first
    # Without a class: the whole school.
    batch_id = start_batch(admin, kind="physical", exam=zhongzhao(app), node=node_id)
    finished(admin, batch_id, run_jobs)
    with app.app_context():
        assert set(db.session.get(PrintBatch, batch_id).candidate_ids) >= set(first + second)

    admin.refresh_token("/print/batch")
    resp = admin.post("/print/batch", {"kind": "physical", "exam": zhongzhao(app),
                                       "node": node_id, "class_name": "不存在的班"})
    assert resp.status_code == 400 and "不存在的班" in resp.get_data(as_text=True)


def test_batch_page_prefills_ids_from_the_candidate_list(app, school):
    page = school.get("/print/batch?ids=12,7, x,9;12").get_data(as_text=True)
    assert ">12\n7\n9\n12</textarea>" in page
    assert "></textarea>" in school.get("/print/batch").get_data(as_text=True)


# --- the version follows everything printed ----------------------------------------------------


def latest_code(app, kind, cid):
    return print_logs(app, kind=kind, candidate_id=cid)[-1]["code"]


def guardian_edit(app, client, cid, **fields):
    with app.app_context():
        g = db.session.get(Candidate, cid).guardians[0]
        form = {"candidate": str(cid), "name": g.name, "relation": g.relation,
                "phone": g.phone or "", "work_unit": g.work_unit or ""}
    form.update(fields)
    client.refresh_token(f"/guardianview/edit/{g.id}")
    resp = client.post(f"/guardianview/edit/{g.id}", form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[-800:]


def version(app, cid):
    with app.app_context():
        return db.session.get(Candidate, cid).version


def test_guardian_edit_changes_the_verification_code(app, school):
    from app.candidates.models import Guardian

    cid = make_candidate(app, ZHONGZHAO)
    with app.app_context():
        db.session.add(Guardian(candidate_id=cid, name="王建国", relation="51"))
        db.session.commit()
    assert school.get(f"/print/physical/{cid}.pdf").status_code == 200
    old, before = latest_code(app, "physical", cid), version(app, cid)

    guardian_edit(app, school, cid, work_unit="郑州市第二人民医院")
    with app.app_context():
        assert db.session.get(Candidate, cid).guardians[0].work_unit == "郑州市第二人民医院"
    assert version(app, cid) == before + 1
    assert school.get(f"/print/physical/{cid}.pdf").status_code == 200
    new = latest_code(app, "physical", cid)
    assert new != old
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        assert check_code(new, "physical", cand) and not check_code(old, "physical", cand)


def test_every_printed_part_moves_the_version(app, with_photo):
    """Study history, quality evaluation, preferences and the photo, added, changed, deleted."""
    from app.candidates.models import Preference, QualityEvaluation, StudyHistory
    from app.photos.models import CandidatePhoto

    cid = make_candidate(app, ZHONGZHAO)

    def step(change):
        before = version(app, cid)
        with app.app_context():
            change(db.session.get(Candidate, cid))
            db.session.commit()
        assert version(app, cid) == before + 1, change

    step(lambda c: db.session.add(StudyHistory(candidate_id=c.id, start=dt.date(2021, 9, 1),
                                               school="郑州市第五十七中学")))
    step(lambda c: setattr(c.studies[0], "role", "班长"))
    step(lambda c: c.studies.remove(c.studies[0]))  # delete-orphan through the collection
    step(lambda c: setattr(c, "evaluation", QualityEvaluation(morality="A")))
    step(lambda c: setattr(c.evaluation, "morality", "B"))
    step(lambda c: c.preferences.append(Preference(seq=1, level="01", school_code="10459",
                                                   school_name="郑州大学", major_code="080901",
                                                   major_name="计算机科学与技术")))
    step(lambda c: db.session.delete(c.preferences[0]))
    # The photo: one HTTP upload already moved with_photo's version; a row change does too.
    photo_cid = with_photo.id
    before = version(app, photo_cid)
    with app.app_context():
        photo = db.session.execute(select(CandidatePhoto).where(
            CandidatePhoto.candidate_id == photo_cid, CandidatePhoto.current.is_(True))).scalars().first()
        photo.current = False
        db.session.commit()
        photo = db.session.get(CandidatePhoto, photo.id)
        photo.current = True
        db.session.commit()
    assert version(app, photo_cid) == before + 2
    # A new candidate with its parts starts at version 1.
    with app.app_context():
        fresh = db.session.get(Candidate, make_candidate(app, ZHONGZHAO))
        assert fresh.version == 1


# --- the verification screen ------------------------------------------------------------------


def verify(client, **args):
    resp = client.get("/print/verify?" + urlencode(args))
    page = resp.get_data(as_text=True)
    found = re.search(r'id="verify-result" data-status="(\w+)"', page)
    return resp.status_code, found.group(1) if found else None, page


def test_verify_current_outdated_unknown(app, school, login):
    from app.candidates.models import Guardian

    cid = make_candidate(app, ZHONGZHAO, name="核验考生")
    with app.app_context():
        db.session.add(Guardian(candidate_id=cid, name="赵建国", relation="51"))
        db.session.commit()
        id_number = db.session.get(Candidate, cid).id_number
    school.get(f"/print/registration/{cid}.pdf")
    old = latest_code(app, "registration", cid)
    status, result, page = verify(school, code=old)
    assert (status, result) == (200, "current") and "核验考生" in page and "报名登记表" in page

    guardian_edit(app, school, cid, phone="13912345678")
    school.get(f"/print/registration/{cid}.pdf")
    new = latest_code(app, "registration", cid)
    status, result, page = verify(school, code=old.lower().replace("-", " "))
    assert result == "outdated" and "id=\"printed-version\"" in page
    assert 'id="verify-prints"' in page and "zy_school" in page  # found in the print log
    assert verify(school, code=old, record=id_number)[1] == "outdated"
    assert verify(school, code=new, record=str(cid))[1] == "current"
    assert verify(school, code=new)[1] == "current"
    assert verify(school, code="ABCD-EFGH-JKLM")[1] == "unknown"
    assert verify(school, code=new, record="110101194912310011")[1] == "unknown"
    status, result, page = verify(school, code="12-34")
    assert status == 400 and result is None and "XXXX-XXXX-XXXX" in page

    # Reviewers verify (without printing); another county sees nothing; auditors have no access.
    assert verify(login("zy_school_reviewer"), code=new)[1] == "current"
    eq = login("eq_admin")
    assert verify(eq, code=new)[1] == "unknown"
    assert verify(eq, code=old, record=id_number)[1] == "unknown"
    assert login("henan_auditor").get(f"/print/verify?code={new}").status_code == 403


def test_verify_batch_draft_and_publicity_codes(app, login, run_jobs):
    school = login("zy_school")
    own = school_candidates(app, "41010201")[:2]
    batch_id = start_batch(school, kind="admitted", exam=zhongzhao(app),
                           ids=",".join(str(c.id) for c in own))
    finished(school, batch_id, run_jobs)
    code = expected_code(app, "admitted", own[1].id)
    status, result, page = verify(school, code=code)
    assert result == "current" and own[1].name in page and f"<td>{batch_id}</td>" in page

    with app.app_context():
        assert verify(school, code=code_for("draft", 0, 1))[1] == "current"

    admin = login("zy_admin")
    with app.app_context():
        node_id = db.session.execute(select(Node.id).where(Node.code == "41010202")).scalar_one()
    admin.get(f"/print/publicity/{node_id}.pdf?exam={zhongzhao(app)}")
    code = print_logs(app, kind="publicity", node_id=node_id)[-1]["code"]
    assert verify(admin, code=code)[1] == "current"
    assert verify(login("eq_admin"), code=code)[1] == "unknown"
    with app.app_context():  # a change to a listed candidate outdates the posted list
        cand = db.session.get(Candidate, school_candidates(app, "41010202")[0].id)
        cand.phone = "13700001111"
        db.session.commit()
    assert verify(admin, code=code)[1] == "outdated"


# --- admission tickets (准考证管理) ------------------------------------------------------------


def ticket_form(app, cid, **extra):
    with app.app_context():
        cand = db.session.get(Candidate, cid)
        form = {"exam": str(cand.exam_id), "candidate_ref": cand.id_number,
                "ticket_number": f"T26{cid:08d}", "site": "郑州市第五十七中学考点", "room": "12",
                "seat": "05", "timetable_text": "语文 2026-06-26 09:00-11:00\n"
                                                "数学 2026-06-26 15:00－17:00"}
    form.update(extra)
    return form


def tickets_of(app, cid):
    with app.app_context():
        return db.session.execute(select(AdmissionTicket).where(
            AdmissionTicket.candidate_id == cid)).scalars().all()


@needs_pdftotext
def test_admin_issues_and_edits_a_ticket(app, login, school):
    cid = make_candidate(app, ZHONGZHAO, name="准考考生")
    admin = login("zy_admin")
    admin.refresh_token("/tickets/add")
    resp = admin.post("/tickets/add", ticket_form(app, cid, ticket_number=" t26 0000 0001 "))
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    [ticket] = tickets_of(app, cid)
    assert ticket.ticket_number == "T2600000001" and ticket.room == "12"
    assert ticket.timetable == [
        {"subject": "语文", "start": "2026-06-26 09:00", "end": "2026-06-26 11:00"},
        {"subject": "数学", "start": "2026-06-26 15:00", "end": "2026-06-26 17:00"}]
    text = pdf_text(school, "ticket", cid)
    for label in ("准考考生", "T2600000001", "郑州市第五十七中学考点", "语文", "数学"):
        assert label in text, label

    listing = admin.get("/tickets/list/").get_data(as_text=True)
    assert "T2600000001" in listing and "准考考生" in listing
    edit = f"/tickets/edit/{ticket.id}"
    admin.refresh_token(edit)
    form = ticket_form(app, cid, ticket_number="T2600000001", seat="30")
    for key in ("exam", "candidate_ref"):
        form.pop(key)
    assert admin.post(edit, form).status_code == 302  # its own number is no conflict
    assert tickets_of(app, cid)[0].seat == "30"
    assert "语文 2026-06-26 09:00-11:00" in admin.get(edit).get_data(as_text=True)


def test_ticket_input_errors_keep_the_form(app, login):
    cid, other = make_candidate(app, ZHONGZHAO), make_candidate(app, ZHONGZHAO)
    admin = login("zy_admin")
    admin.refresh_token("/tickets/add")
    assert admin.post("/tickets/add", ticket_form(app, cid, ticket_number="T2699990001")
                      ).status_code == 302
    foreign = school_candidates(app, "41010301")[0]
    cases = [
        (dict(ticket_number="T2699990001"), "已被使用"),  # unique per exam
        (dict(ticket_number="短"), "4至30位"),
        (dict(timetable_text="语文 2026-06-26 09:00-11:00\n数学 明天上午"), "第2行"),
        (dict(timetable_text="语文 2026-06-26 11:00-09:00"), "结束时间须晚于开始时间"),
        (dict(candidate_ref=foreign.id_number), "本辖区内没有"),
        (dict(candidate_ref="不存在"), "本辖区内没有"),
    ]
    for change, message in cases:
        form = ticket_form(app, other, **change)
        resp = admin.post("/tickets/add", form)
        page = resp.get_data(as_text=True)
        assert resp.status_code == 200 and message in page, (change, page[-3000:])
        assert form["site"] in page  # what was typed is still there
        assert tickets_of(app, other) == []
    resp = admin.post("/tickets/add", ticket_form(app, cid, ticket_number="T2699990002"))
    assert "已有准考证" in resp.get_data(as_text=True) and len(tickets_of(app, cid)) == 1


def test_tickets_are_scoped(app, login):
    cid = make_candidate(app, ZHONGZHAO)
    ensure_ticket(app, cid)
    [ticket] = tickets_of(app, cid)
    eq = login("eq_admin")
    assert ticket.ticket_number not in eq.get("/tickets/list/").get_data(as_text=True)
    for url in (f"/tickets/show/{ticket.id}", f"/tickets/edit/{ticket.id}"):
        assert eq.get(url).status_code == 404, url
    eq.refresh_token("/tickets/add")
    resp = eq.post("/tickets/add", ticket_form(app, cid, ticket_number="T2688880001"))
    assert "本辖区内没有" in resp.get_data(as_text=True) and len(tickets_of(app, cid)) == 1
    # A city administrator above both counties sees it; school staff do not manage tickets.
    assert ticket.ticket_number in login("zz_admin").get("/tickets/list/").get_data(as_text=True)
    assert login("zy_school").get("/tickets/list/").status_code == 403


# --- retention of merged PDFs -------------------------------------------------------------------


def test_purge_prints_deletes_old_pdfs_only(app, login, run_jobs):
    school = login("zy_school")
    own = school_candidates(app, "41010201")[:1]
    old_id = start_batch(school, kind="physical", exam=zhongzhao(app), ids=str(own[0].id))
    finished(school, old_id, run_jobs)
    new_id = start_batch(school, kind="physical", exam=zhongzhao(app), ids=str(own[0].id))
    finished(school, new_id, run_jobs)
    with app.app_context():
        old = db.session.get(PrintBatch, old_id)
        old.finished_on = dt.datetime.now() - dt.timedelta(days=31)
        old_path, new_path = old.result_path, db.session.get(PrintBatch, new_id).result_path
        db.session.commit()
    stray = os.path.join(os.path.dirname(old_path), "batch-999999-part-0000.pdf")
    with open(stray, "wb") as fh:
        fh.write(b"%PDF-")
    aged = (dt.datetime.now() - dt.timedelta(days=40)).timestamp()
    os.utime(stray, (aged, aged))

    result = app.test_cli_runner().invoke(args=["kaosheng", "purge-prints", "--days", "30"])
    assert result.exit_code == 0 and "deleted 2 file(s)" in result.output, result.output
    assert not os.path.exists(old_path) and not os.path.exists(stray)
    assert os.path.exists(new_path)
    status = school.get(f"/print/batch/{old_id}/status").get_json()
    assert status["result_url"] is None and "PDF 文件已按保存期限删除" in status["label"]
    assert school.get(f"/print/batch/{old_id}/download").status_code == 404
    assert school.get(f"/print/batch/{new_id}/download").status_code == 200
    assert app.test_cli_runner().invoke(args=["kaosheng", "purge-prints", "--days", "0"]
                                        ).exit_code != 0
