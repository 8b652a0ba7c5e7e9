"""考生登记表 of 成人高考 (issue 18 item 11): the seven parts the notice lists, 毕业学校 from
the candidate's record (never the confirmation point), printed by the province for admitted
candidates only, single and in batch (exactly the admitted candidates of the chosen unit)."""
import datetime as dt
import io
import itertools
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.adult.result_models import AdultAdmission, AdultScore
from app.audit import AuditLog
from app.candidates.models import Candidate, Preference
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.gaokao.models import IntegrityRecord
from app.jurisdiction import Node
from app.printing.render import candidate_code
from app.validators import make_id_number
from helpers import exam_id, text

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) not installed")
_seq = itertools.count(201, 2)
_number = itertools.count(1)
PARTS = ("一、考生基本信息", "二、志愿信息", "三、优惠信息", "四、成绩信息", "五、录取信息",
         "六、诚信参考信息")
POINT_NAME = "中原区报名点"


def make(app, point="BM410102", name="登记考生", school="长沙市第一中学", admitted=True,
         institution="10542", scored=True, violation=False):
    """A confirmed 2026 高起专 candidate at ``point`` with a preference, optionally a score,
    an admission and an integrity record; returns its id."""
    with app.app_context():
        exam = db.session.execute(select(Exam).where(Exam.kind == ADULT, Exam.year == 2026)
                                  ).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == point)).scalar_one()
        birth = dt.date(1993, 2, 3)
        cand = Candidate(exam=exam, node=node, name=name, gender="2", birth_date=birth,
                         id_number=make_id_number(node.parent.code, birth, next(_seq)),
                         category="02", candidate_number=f"26{node.parent.code}7{next(_number):05d}",
                         state="school_approved", phone="13700000000", ethnicity="15",
                         education_level="60", graduation_school=school,
                         address="湖南省长沙市芙蓉区五一大道1号")
        cand.preferences.append(Preference(
            seq=1, level="02", track="1", major_category="02", study_form="3",
            school_code="10542", school_name="湖南师范大学", major_code="040101",
            major_name="教育学", duration="2.5"))
        db.session.add(cand)
        db.session.flush()
        if scored:
            db.session.add(AdultScore(candidate_id=cand.id, paper_group="02-1", chinese=81,
                                      mathematics=72, foreign_language=63, feature=20,
                                      total=216, archive_score=236))
        if admitted:
            db.session.add(AdultAdmission(
                candidate_id=cand.id, institution_code=institution,
                institution_name="湖南师范大学" if institution == "10542" else "中南大学",
                major_code="040101", major_name="教育学", level="02", study_form="3",
                admitted_on=dt.date(2026, 12, 1)))
        if violation:
            db.session.add(IntegrityRecord(candidate_id=cand.id, occurred_on=dt.date(2026, 10, 24),
                                           kind="01", description="携带手机进入考场",
                                           decision="该科成绩无效", document_number="湘考违〔2026〕1号"))
        db.session.commit()
        return cand.id


def pdftext(pdf):
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def flat(s):
    return "".join(s.split())


def candidate_name(app, cid):
    with app.app_context():
        return db.session.get(Candidate, cid).name


def test_the_form_prints_seven_parts_for_an_admitted_candidate(app, login):
    cid = make(app, name="周佳怡", violation=True)
    province = login("henan_admin")
    resp = province.get(f"/print/admitted/{cid}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf", text(resp)[:300]
    raw = pdftext(resp.data)
    body = flat(raw)
    assert "考生登记表" in body and all(part in body for part in PARTS)
    assert "照片" in body  # the photo cell (no photo uploaded: its placeholder)
    # Basic information: 毕业学校 is the candidate's school, the point has its own line.
    line = next(l for l in raw.splitlines() if "毕业学校" in l)
    assert "长沙市第一中学" in line and POINT_NAME not in line
    assert "报名确认点" in body and POINT_NAME in body
    assert "周佳怡" in body and "土家族" in body and "普通高中" in body
    assert "第一志愿" in body and "湖南师范大学" in body and "函授" in body
    assert re.search(r"三、优惠信息\s*无", raw)
    assert "总分" in body and "档案分" in body and "236" in body and "数学（文）" in body
    assert "10542湖南师范大学" in body and "2026-12-01" in body
    assert "该科成绩无效" in body and "湘考违〔2026〕1号" in body  # 诚信
    with app.app_context():
        code = candidate_code("admitted", db.session.get(Candidate, cid))
    assert code in body and "校验码" in body
    fonts = {str(f.get_object()["/BaseFont"]) for page in PdfReader(io.BytesIO(resp.data)).pages
             for f in page["/Resources"].get_object().get("/Font", {}).values()}
    assert any("WenQuanYi" in f or "STSong" in f for f in fonts), fonts
    assert len(PdfReader(io.BytesIO(resp.data)).pages) == 1


def test_integrity_and_scores_print_none_when_there_are_none(app, login):
    cid = make(app, scored=False)
    raw = pdftext(login("henan_admin").get(f"/print/admitted/{cid}.pdf").data)
    assert re.search(r"四、成绩信息\s*无", raw) and re.search(r"六、诚信参考信息\s*无", raw)


def test_refused_for_a_candidate_not_admitted_and_for_anyone_but_the_province(app, login):
    waiting = make(app, admitted=False)
    admitted = make(app)
    province = login("henan_admin")
    resp = province.get(f"/print/admitted/{waiting}.pdf")
    assert resp.status_code == 400 and "只为正式录取的考生打印" in text(resp)
    page = text(province.get(f"/adult/results/candidate/{waiting}"))
    assert "只为正式录取的考生打印" in page and "打印考生登记表" not in page
    county = login("zy_admin")
    resp = county.get(f"/print/admitted/{admitted}.pdf")
    assert resp.status_code == 400 and "由省教育考试院统一打印" in text(resp)
    assert county.get("/adult/register-forms/").status_code == 403
    assert login("eq_admin").get(f"/print/admitted/{admitted}.pdf").status_code == 404


def batch(client, **form):
    client.refresh_token("/adult/register-forms/")
    return client.post("/adult/register-forms/batch", form)


def test_batch_prints_exactly_the_admitted_candidates_of_the_unit(app, login, run_jobs):
    eid = exam_id(app, ADULT)
    with app.app_context():
        point = db.session.execute(select(Node).where(Node.code == "BM410105Z")).scalar_one()
        point_id = point.id
    admitted = [make(app, point="BM410105Z", name=n) for n in ("甲一", "乙二")]
    other_school = make(app, point="BM410105Z", name="丙三", institution="10533")
    waiting = make(app, point="BM410105Z", name="丁四", admitted=False)
    elsewhere = make(app, name="戊五")  # admitted, at another point
    province = login("henan_admin")
    resp = batch(province, exam=eid, node=point_id)
    assert resp.status_code == 302, text(resp)[-1500:]
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    run_jobs()
    status = province.get(f"/print/batch/{batch_id}/status").get_json()
    assert status["status"] == "done" and status["result_url"], status
    pdf = province.get(status["result_url"]).data
    pages = [flat(p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages]
    body = flat(pdftext(pdf))
    printed = {n for n in ("甲一", "乙二", "丙三", "丁四", "戊五") if n in body}
    assert printed == {"甲一", "乙二", "丙三"}
    assert len(pages) == 3
    # Ordered by institution: 10533 (中南大学) before 10542.
    assert body.index("丙三") < body.index("甲一")
    with app.app_context():
        logged = db.session.execute(select(AuditLog).where(AuditLog.action == "print")
                                    .order_by(AuditLog.id)).scalars().all()
        codes = [a.changes.get("codes") for a in logged
                 if a.changes.get("batch_id") == batch_id and a.changes.get("codes")]
        assert set().union(*[set(c) for c in codes]) == {
            str(i) for i in admitted + [other_school]}
    # One institution only.
    resp = batch(province, exam=eid, node=point_id, institution="10533")
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    run_jobs()
    status = province.get(f"/print/batch/{batch_id}/status").get_json()
    body = flat(pdftext(province.get(status["result_url"]).data))
    assert "丙三" in body and "甲一" not in body
    assert waiting and elsewhere


def test_batch_refusals_keep_the_form(app, login):
    eid = exam_id(app, ADULT)
    with app.app_context():
        empty = db.session.execute(select(Node.id).where(Node.code == "BM410103D")).scalar_one()
    province = login("henan_admin")
    resp = batch(province, exam=eid, node=empty, institution="99999")
    assert resp.status_code == 400
    page = text(resp)
    assert "没有符合条件的已录取考生" in page and 'value="99999"' in page
    assert batch(province, exam="", node=empty).status_code == 400
    assert batch(province, exam=eid, node=999999).status_code == 404


def test_generic_batch_print_by_a_county_prints_no_register_form(app, login, run_jobs):
    """批量打印 takes any form kind: a county administrator's batch of the 成人高考 考生登记表
    runs with no request, and still prints nothing (the province's form)."""
    cid = make(app, name="县级批量")
    county = login("zy_admin")
    county.refresh_token("/print/batch")
    resp = county.post("/print/batch", {"kind": "admitted", "ids": str(cid)})
    assert resp.status_code == 302, text(resp)[-1500:]
    batch_id = int(resp.location.rstrip("/").split("/")[-1])
    run_jobs()
    status = county.get(f"/print/batch/{batch_id}/status").get_json()
    assert (status["status"], status["done"], status["skipped"], status["pages"]) == \
        ("done", 0, 1, 0), status


def test_approved_bonus_and_exemption_print_in_the_preferential_part(app, login):
    from app.adult.exemption_models import AdultBonus, AdultExemption

    cid = make(app, name="加分考生")
    with app.app_context():
        db.session.add(AdultBonus(candidate_id=cid, state="approved", kind="1", points=20))
        db.session.add(AdultExemption(candidate_id=cid, state="approved", kind="2"))
        db.session.commit()
    province = login("henan_admin")
    resp = province.get(f"/print/admitted/{cid}.pdf")
    assert resp.status_code == 200, text(resp)[-800:]
    body = flat(pdftext(resp.data))
    part = body[body.index("三、优惠信息"):body.index("四、成绩信息")]
    assert "照顾加分" in part and "加20分" in part and "免试入学" in part and "无" not in part
