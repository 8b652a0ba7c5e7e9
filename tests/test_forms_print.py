"""Printable forms through HTTP: every form for demo candidates (text, labels, verification
code, embedded photo), scoping (another county: 404), batch printing into one merged PDF
through the job path (in-process, or rq with KAOSHENG_TEST_REDIS), and the print log."""
import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.exams.models import ZHONGZHAO, Exam
from app.extensions import db
from app.forms import hooks
from app.forms.models import AdmissionTicket, PrintBatch
from app.forms.pdf import page_count
from app.forms.render import BATCH_KINDS, CANDIDATE_KINDS, candidate_code, check_code, code_for
from app.jurisdiction import Node
from test_photo_checks import encode, portrait

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
@pytest.mark.parametrize("kind", CANDIDATE_KINDS)
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
    from app.forms.render import render_form

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
    assert reviewer.get(f"/print/registration/{own.id}.pdf").status_code in (302, 403)
    assert reviewer.get("/print/batch").status_code in (302, 403)


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
    assert status["percent"] == 100 and status["download"]
    resp = client.get(status["download"])
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    return status, resp.data


@needs_pdftotext
def test_batch_for_a_school_is_one_merged_pdf(app, login, run_jobs, printed):
    admin = login("zy_admin")
    with app.app_context():
        node_id = db.session.execute(select(Node.id).where(Node.code == "41010202")).scalar_one()
    cands = school_candidates(app, "41010202")
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
        assert batch.path.startswith(app.config["UPLOAD_DIR"])
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
    batch_id = start_batch(school, kind="process", exam=zhongzhao(app),
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
    from app.forms.tasks import run_batch

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
