"""Integrity records (考试诚信记录, issue 17 item 7) print on the 高考 考生登记表, and a 高考
candidate without any prints “无”."""
import datetime as dt
import shutil
import subprocess

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate
from app.codes import GAOKAO
from app.exams.models import Exam
from app.extensions import db
from app.gaokao.models import IntegrityRecord
from app.jurisdiction import Node

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) not installed")


def gaokao_candidates(app, n=2):
    with app.app_context():
        school = db.session.execute(select(Node.id).where(Node.code == "41010201")).scalar()
        return db.session.execute(select(Candidate.id).join(Exam).where(
            Exam.kind == GAOKAO, Candidate.node_id == school).order_by(Candidate.id)
            .limit(n)).scalars().all()


def printed(client, cid):
    resp = client.get(f"/print/admitted/{cid}.pdf")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-500:]
    out = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True,
                         check=True).stdout.decode()
    return "".join(out.split())


def test_the_gaokao_register_form_prints_the_integrity_records(app, login):
    with_record, without = gaokao_candidates(app)
    with app.app_context():
        db.session.add(IntegrityRecord(candidate_id=with_record, occurred_on=dt.date(2026, 6, 7),
                                       kind="01", description="携带手机进入考场",
                                       decision="当科成绩无效", document_number="豫考违〔2026〕3号"))
        db.session.commit()
    county = login("zy_admin")
    text = printed(county, with_record)
    assert "考试诚信记录" in text and "2026-06-07" in text
    assert "当科成绩无效（豫考违〔2026〕3号）" in text
    text = printed(county, without)
    assert "考试诚信记录" in text and "无" in text[text.index("考试诚信记录"):]
