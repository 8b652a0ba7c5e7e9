"""Exports of the candidate list (issue 14): streamed in the request up to EXPORT_INLINE_MAX
rows, a background job above it with a progress page, a scoped download that expires, and
the filters of the list re-applied by the job inside the user's subtree."""
import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit import AuditLog
from app.candidates.export_tasks import purge_exports
from app.candidates.models import Candidate, CandidateExport
from app.extensions import db
from app.jurisdiction import Node, subtree_range
from factories import make_candidate
from helpers import text

HYPERLINK = '=HYPERLINK("http://example.invalid/"&B2,"点击查看")'


@pytest.fixture
def as_job(app, monkeypatch):
    """Every export of a non-empty list is a job (the threshold set to 0 rows)."""
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX", 0)


def _jobs(app):
    with app.app_context():
        return db.session.execute(select(func.count(CandidateExport.id))).scalar_one()


def _county_ids(app, code):
    with app.app_context():
        path = db.session.execute(select(Node.path).where(Node.code == code)).scalar_one()
        return set(db.session.execute(select(Candidate.id_number).join(Node).where(
            subtree_range(Node.path, path))).scalars())


def _export(client, fmt, query=""):
    """Start an export as a job; (its id, the progress page's location)."""
    resp = client.get(f"/candidateview/export/{fmt}{query}")
    assert resp.status_code == 302 and "/candidate-exports/" in resp.location, resp.status_code
    client.run_jobs()
    return int(resp.location.rstrip("/").split("/")[-1]), resp.location


def test_a_large_export_runs_as_a_job_with_the_users_subtree_only(app, login, as_job):
    zy = login("zy_admin")
    export_id, page = _export(zy, "csv")
    assert "下载" in text(zy.get(page))
    status = zy.get(f"/candidate-exports/{export_id}/status").get_json()
    own = _county_ids(app, "410102")
    assert status["status"] == "done" and status["rows"] == len(own) > 0
    assert status["result_url"].endswith(f"/candidate-exports/{export_id}/download")
    data = zy.get(status["result_url"])
    assert data.status_code == 200 and data.mimetype == "text/csv"
    header, *rows = list(csv.reader(io.StringIO(data.get_data(as_text=True).lstrip("\ufeff"))))
    assert header[:2] == ["姓名", "身份证号"]
    assert {row[1] for row in rows} == own  # every own record, nobody of 二七区
    with app.app_context():
        actions = db.session.execute(select(AuditLog.changes).where(
            AuditLog.action == "export", AuditLog.username == "zy_admin")
            .order_by(AuditLog.id.desc()).limit(2)).scalars().all()
    assert actions[0]["download"] is True and actions[1]["job"] == export_id


def test_the_job_applies_the_lists_filters_and_writes_safe_xlsx(app, login, as_job):
    made = make_candidate(app, address=HYPERLINK, name="公式考生")
    with app.app_context():
        number = db.session.get(Candidate, made).id_number
    zy = login("zy_admin")
    export_id, _page = _export(zy, "xlsx", f"?_flt_0_id_number={number}")
    resp = zy.get(f"/candidate-exports/{export_id}/download")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1
    record = dict(zip(header, rows[0]))
    assert record["身份证号"] == number and record["通讯地址"] == "'" + HYPERLINK
    assert all(cell.data_type != "f" for cells in sheet.iter_rows() for cell in cells)


def test_another_countys_export_is_404(app, login, as_job):
    export_id, _page = _export(login("zy_admin"), "csv")
    eq = login("eq_admin")
    for url in (f"/candidate-exports/{export_id}", f"/candidate-exports/{export_id}/status",
                f"/candidate-exports/{export_id}/download"):
        assert eq.get(url).status_code == 404, url
    assert login("zy_reviewer").get(f"/candidate-exports/{export_id}").status_code == 403


def test_a_small_export_streams_in_the_request_without_a_job(app, login):
    before = _jobs(app)
    resp = login("zy_admin").get("/candidateview/export/csv")
    assert resp.status_code == 200 and resp.is_streamed
    body = resp.get_data(as_text=True)
    assert body.startswith("\ufeff姓名,身份证号")
    assert len(list(csv.reader(io.StringIO(body)))) - 1 == len(_county_ids(app, "410102"))
    assert _jobs(app) == before


def test_an_expired_export_is_not_served_and_its_file_is_purged(app, login, as_job):
    zy = login("zy_admin")
    export_id, page = _export(zy, "csv")
    with app.app_context():
        export = db.session.get(CandidateExport, export_id)
        export.finished_on -= dt.timedelta(hours=25)
        db.session.commit()
    resp = zy.get(f"/candidate-exports/{export_id}/download")
    assert resp.status_code == 302
    assert "已过期" in text(zy.get(resp.location))
    assert zy.get(f"/candidate-exports/{export_id}/status").get_json()["result_url"] is None
    with app.app_context():
        assert purge_exports() >= 1
        assert db.session.get(CandidateExport, export_id).result_path is None


@pytest.mark.parametrize("threshold", [0, 100_000], ids=["job", "streamed"])
def test_csv_cells_are_labelled_named_and_formula_safe(app, login, monkeypatch, threshold):
    """The database writes the cells (COPY on PostgreSQL): the same labels, division names,
    dates and formula safety whichever way the file is made."""
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX", threshold)
    made = make_candidate(app, address=HYPERLINK, name="阿依古丽·买买提", ethnicity="05",
                          hukou="410102", phone="13800001111", remark="+备注")
    with app.app_context():
        cand = db.session.get(Candidate, made)
        number, birth = cand.id_number, cand.birth_date.isoformat()
    zy = login("zy_admin")
    resp = zy.get(f"/candidateview/export/csv?_flt_0_id_number={number}")
    if threshold == 0:
        zy.run_jobs()
        resp = zy.get(resp.location.rstrip("/") + "/download")
    body = resp.get_data(as_text=True)
    assert body.startswith("\ufeff姓名,身份证号")
    header, row = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    record = dict(zip(header, row))
    assert record["姓名"] == "阿依古丽·买买提" and record["身份证号"] == number
    assert record["民族"] == "维吾尔族" and record["性别"] == "男" and record["出生日期"] == birth
    assert record["户籍所在地"] == "410102" and record["户籍所在地名称"] == "河南省郑州市中原区"
    assert record["通讯地址"] == "'" + HYPERLINK and record["备注"] == "'+备注"
    assert record["学校代码"] == "41010201" and record["科类"] == "" and record["联系电话"] == \
        "13800001111"
