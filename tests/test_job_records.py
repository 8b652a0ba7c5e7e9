"""Every background job through HTTP: start it, its status route answers in the one shape
of app/job_records.py until it is done; a job whose worker died reads "failed" in that same
shape; every job page follows its job with static/progress.js and no poller of its own."""
import datetime as dt
import io
import re
import uuid
import zipfile

import pytest
from sqlalchemy import select

from app import jobs
from app.candidates.models import Candidate, ImportBatch
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.exchange.models import ExchangeExport
from app.extensions import db
from app.jurisdiction import Node
from app.photos.models import PhotoImport
from app.printing.models import PrintBatch
from app.validators import make_id_number

SHAPE = {"id", "status", "label", "final", "done", "total", "percent", "message", "error",
         "result_url"}
HEADER = ["姓名", "身份证号", "性别", "学校代码"]


def _exam_id(app):
    with app.app_context():
        return db.session.execute(select(Exam.id).where(
            Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()


def _own_candidate(app, code="41010201"):
    with app.app_context():
        return db.session.execute(
            select(Candidate.id).join(Node).where(
                Node.code == code, Candidate.exam_id == _exam_id(app),
                Candidate.locked.is_(False)).order_by(Candidate.id).limit(1)).scalar_one()


def _id_of(resp, position=-1):
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    return int(resp.location.rstrip("/").split("/")[position])


def _post_file(c, url, data, page):
    c.refresh_token(page)
    return c.post(url, data, content_type="multipart/form-data")


def start_registry_import(c, app):
    number = make_id_number("410102", dt.date(2010, 1, 1), 1 + 2 * (uuid.uuid4().int % 499))
    body = "\n".join([",".join(HEADER), f"记录测,{number},男,41010201"])
    resp = _post_file(c, "/registry-import/", {
        "exam": str(_exam_id(app)), "file": (io.BytesIO(body.encode()), "学籍.csv")},
        "/registry-import/")
    batch_id = _id_of(resp, -2)
    with app.app_context():
        mapping = db.session.get(ImportBatch, batch_id).mapping
    c.post(f"/registry-import/{batch_id}/mapping", {f"col_{k}": str(v) for k, v in mapping.items()})
    return ImportBatch, batch_id, f"/registry-import/{batch_id}"


def start_photo_import(c, app):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("not-an-id.jpg", b"\xff\xd8\xff")
    resp = _post_file(c, "/photos/import/", {
        "exam": _exam_id(app), "kind": "photo", "file": (io.BytesIO(buf.getvalue()), "p.zip")},
        "/photos/import/")
    pk = _id_of(resp)
    return PhotoImport, pk, f"/photos/import/{pk}"


def start_print_batch(c, app):
    c.refresh_token("/print/batch")
    resp = c.post("/print/batch", {"kind": "physical", "exam": _exam_id(app),
                                   "ids": str(_own_candidate(app))})
    pk = _id_of(resp)
    return PrintBatch, pk, f"/print/batch/{pk}"


def start_export(c, app):
    c.refresh_token("/exchange/")
    pk = _id_of(c.post("/exchange/export", {"exam": _exam_id(app)}))
    return ExchangeExport, pk, f"/exchange/export/{pk}"


def start_exchange_import(c, app):
    _model, export_id, _page = start_export(c, app)
    c.run_jobs()
    package = c.get(f"/exchange/export/{export_id}/download").get_data()
    resp = _post_file(c, "/exchange/import", {
        "exam": _exam_id(app), "file": (io.BytesIO(package), "package.zip")}, "/exchange/")
    pk = _id_of(resp)
    return ImportBatch, pk, f"/exchange/import/{pk}"


FEATURES = {
    "registry import": ("zy_school", start_registry_import, {"created", "updated", "rejected"}),
    "photo import": ("zy_school", start_photo_import, {"matched", "unmatched", "rejected"}),
    "print batch": ("zy_school", start_print_batch, {"skipped", "pages"}),
    "exchange export": ("zy_admin", start_export, {"rows", "photos", "skipped"}),
    "exchange import": ("zy_admin", start_exchange_import, {"created", "updated", "rejected"}),
}


def _status(c, page):
    resp = c.get(page + "/status")
    assert resp.status_code == 200 and resp.is_json
    return resp.get_json()


def _assert_shape(status, counts):
    assert set(status) == SHAPE | counts, status
    assert status["label"] and isinstance(status["final"], bool)
    assert 0 <= status["percent"] <= 100


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_job_runs_to_done_in_the_one_status_shape(login, app, feature):
    user, start, counts = FEATURES[feature]
    c = login(user)
    _model, _pk, page = start(c, app)
    c.run_jobs()
    status = _status(c, page)
    _assert_shape(status, counts)
    assert status["status"] == "done" and status["final"] and status["percent"] == 100, status
    assert status["error"] is None


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_dead_worker_reads_failed_in_the_same_shape(login, app, feature):
    """A record still "running" whose job failed without a word (the worker was killed): the
    status read fails the record with the worker-stopped message, in the one shape."""
    user, start, counts = FEATURES[feature]
    c = login(user)
    model, pk, page = start(c, app)
    c.run_jobs()
    dead = uuid.uuid4().hex
    jobs._local_jobs[dead] = {"state": "failed", "done": 1, "total": 4, "message": "",
                              "result": None, "error": None, "owner_id": None,
                              "description": "killed"}
    with app.app_context():
        record = db.session.get(model, pk)
        record.status, record.job_id, record.message = "running", dead, None
        db.session.commit()
    status = _status(c, page)
    _assert_shape(status, counts)
    assert status["status"] == "failed" and status["final"] and status["percent"] == 100
    assert "后台进程" in status["error"] and status["error"] == status["message"]
    assert status["result_url"] is None
    with app.app_context():
        assert db.session.get(model, pk).status == "failed"


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_page_uses_progress_js_and_no_inline_poller(login, app, feature):
    user, start, _counts = FEATURES[feature]
    c = login(user)
    _model, _pk, page = start(c, app)
    html = c.get(page).get_data(as_text=True)
    assert 'src="/static/progress.js"' in html and "data-status-url=" in html
    assert "photos/import.js" not in html
    inline = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert not [s for s in inline if "fetch(" in s or "setTimeout" in s]
    c.run_jobs()


def test_progress_js_retries_with_backoff_and_stops_on_a_final_state(app):
    js = app.test_client().get("/static/progress.js").get_data(as_text=True)
    assert "catch(retry)" in js and "Math.pow(2, failures)" in js
    assert "d.final" in js and "window.location.reload()" in js and "result_url" in js
