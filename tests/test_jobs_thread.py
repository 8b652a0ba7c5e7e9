"""Jobs without Redis in the default mode (JOBS_LOCAL="thread"): the request that starts a
job returns at once, the job runs in one of the app's background threads (each with its own
app context and session, on the module's SQLite file database), and its page follows it
through the same status route as with rq. The rest of the suite runs jobs inline.

Every job here waits on a threading.Event the test sets, so what the status shows while the
job is held is certain, not a race."""
import csv
import datetime as dt
import io
import os
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from app import job_records, jobs
from app.candidates.models import Candidate, ImportBatch
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.printing import tasks as print_tasks
from app.printing.models import PrintBatch
from app.validators import make_id_number

WAIT = 30  # seconds: the longest any step may take on a loaded machine


@pytest.fixture(scope="module", autouse=True)
def thread_mode(app):
    """This module's app runs jobs the way a deployment without Redis does."""
    if app.config.get("REDIS_URL"):
        pytest.skip("jobs go to rq when KAOSHENG_TEST_REDIS is set")
    app.config.update(JOBS_LOCAL="thread", JOBS_THREADS=2)


@pytest.fixture
def gate():
    """Events a blocked job waits on; all set at the end, so no job thread stays held."""
    events = []

    def make():
        events.append(threading.Event())
        return events[-1]

    yield make
    for event in events:
        event.set()


def _wait(event):
    assert event.wait(WAIT), "the job was never released"


def _until(read, done):
    deadline = time.monotonic() + WAIT
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _exam_id(app):
    with app.app_context():
        return db.session.execute(select(Exam.id).where(
            Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()


def _candidates(app, count, code="41010201"):
    with app.app_context():
        return list(db.session.execute(
            select(Candidate.id).join(Node).where(
                Node.code == code, Candidate.exam_id == _exam_id(app),
                Candidate.locked.is_(False)).order_by(Candidate.id).limit(count)).scalars())


def _start_print(c, app, count=2):
    c.refresh_token("/print/batch")
    ids = ",".join(str(i) for i in _candidates(app, count))
    resp = c.post("/print/batch", {"kind": "physical", "exam": _exam_id(app), "ids": ids})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    return int(resp.location.rstrip("/").split("/")[-1])


def _print_status(c, batch_id):
    resp = c.get(f"/print/batch/{batch_id}/status")
    assert resp.status_code == 200 and resp.is_json
    return resp.get_json()


def _final(c, batch_id):
    return _until(lambda: _print_status(c, batch_id), lambda s: s["final"])


def test_batch_print_returns_at_once_and_its_page_follows_the_job(login, app, monkeypatch,
                                                                  gate):
    c = login("zy_school")
    planned, planning = gate(), gate()
    rendered, rendering = gate(), gate()
    real_resolve, real_render = print_tasks.resolve_candidates, print_tasks.render_form_with_code

    def resolve(batch, node):
        planning.set()
        _wait(planned)
        return real_resolve(batch, node)

    def render(kind, candidate):
        rendering.set()
        _wait(rendered)
        return real_render(kind, candidate)

    monkeypatch.setattr(print_tasks, "resolve_candidates", resolve)
    monkeypatch.setattr(print_tasks, "render_form_with_code", render)
    batch_id = _start_print(c, app)
    # The request came back while the job waits on the test: nothing is planned yet (inline,
    # the post would still be waiting for ``planned``).
    _wait(planning)
    queued = _print_status(c, batch_id)
    assert queued["status"] == "queued" and not queued["final"] and queued["percent"] == 0
    assert 'data-status-url="/print/batch/' in c.get(f"/print/batch/{batch_id}").get_data(
        as_text=True)
    planned.set()
    _wait(rendering)
    running = _print_status(c, batch_id)
    assert running["status"] == "running" and running["total"] == 2 and not running["final"]
    rendered.set()
    done = _final(c, batch_id)
    assert done["status"] == "done" and done["percent"] == 100 and done["error"] is None
    assert done["result_url"] == f"/print/batch/{batch_id}/download"
    pdf = c.get(done["result_url"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_job_that_raises_ends_failed_with_its_message(login, app, monkeypatch, gate):
    c = login("zy_school")
    release = gate()

    def render(kind, candidate):
        _wait(release)
        raise ValueError("the printer is on fire")

    monkeypatch.setattr(print_tasks, "render_form_with_code", render)
    batch_id = _start_print(c, app, count=1)
    assert not _print_status(c, batch_id)["final"]
    release.set()
    failed = _final(c, batch_id)
    assert failed["status"] == "failed" and failed["final"] and failed["percent"] == 100
    assert failed["error"] == failed["message"] == "the printer is on fire"
    assert failed["result_url"] is None


def _registry_file(count):
    birth = dt.date(2011, 3, 14)
    out = io.StringIO()
    csv.writer(out).writerows([["姓名", "身份证号", "性别", "学校代码"]] + [
        ["线程" + "甲乙丙丁戊"[i], make_id_number("410102", birth, 601 + 2 * i), "男", "41010201"]
        for i in range(count)])
    return out.getvalue().encode("utf-8")


def test_registry_import_mapping_returns_at_once_and_status_shows_the_run(login, app,
                                                                         monkeypatch, gate):
    c = login("zy_school")
    progressed, release = gate(), gate()
    real = job_records.report_progress

    def progress(done, total, message=""):
        real(done, total, message)
        progressed.set()
        _wait(release)

    monkeypatch.setattr(job_records, "report_progress", progress)
    c.refresh_token("/registry-import/")
    resp = c.post("/registry-import/", {"exam": str(_exam_id(app)),
                                        "file": (io.BytesIO(_registry_file(3)), "学籍.csv")},
                  content_type="multipart/form-data")
    assert resp.status_code == 302
    batch_id = int(resp.location.rstrip("/").split("/")[-2])
    with app.app_context():
        mapping = db.session.get(ImportBatch, batch_id).mapping
    resp = c.post(f"/registry-import/{batch_id}/mapping",
                  {f"col_{k}": str(v) for k, v in mapping.items()})
    assert resp.status_code == 302 and resp.location.endswith(f"/registry-import/{batch_id}")
    _wait(progressed)
    status_url = f"/registry-import/{batch_id}/status"
    running = c.get(status_url).get_json()
    assert running["status"] == "running" and not running["final"] and running["total"] == 3
    release.set()
    done = _until(lambda: c.get(status_url).get_json(), lambda s: s["final"])
    assert done["status"] == "done" and done["created"] == 3 and done["percent"] == 100


def test_jobs_run_concurrently_up_to_the_pool_size(app, gate):
    release, lock, running, peak = gate(), threading.Lock(), [], []

    def held(n):
        with lock:
            running.append(n)
            peak.append(len(running))
        _wait(release)
        with lock:
            running.remove(n)
        return n

    with app.test_request_context("/"):
        ids = [jobs.enqueue(held, n, job_timeout=60, description=f"held {n}")
               for n in range(3)]
        states = _until(lambda: [jobs.job_status(i)["state"] for i in ids],
                        lambda s: s.count("started") == 2)
        time.sleep(0.2)  # a third thread, if there were one, would have taken the last job
        assert sorted(jobs.job_status(i)["state"] for i in ids) == ["queued", "started",
                                                                    "started"], states
        release.set()
        ended = _until(lambda: [jobs.job_status(i) for i in ids],
                       lambda s: all(x["state"] == "finished" for x in s))
    assert [s["result"] for s in ended] == [0, 1, 2] and max(peak) == 2


def _lease(app, name):
    return os.path.join(app.config["UPLOAD_DIR"], "job-leases", name)


def test_a_job_of_an_ended_process_reads_failed_once_its_lease_runs_out(login, app):
    """In-process jobs are lost with their process; its lease (a file it renews) tells the
    status read whether it still lives. The job of this process is never taken for dead."""
    c = login("zy_school")
    batch_id = _start_print(c, app, count=1)
    assert _final(c, batch_id)["status"] == "done"
    other = uuid.uuid4().hex[:12]
    with app.app_context():
        batch = db.session.get(PrintBatch, batch_id)
        batch.status, batch.message = "running", None
        batch.job_id = f"local-{other}-{uuid.uuid4().hex}"
        db.session.commit()
    lease = _lease(app, other)
    open(lease, "w").close()  # the other process is alive
    assert _print_status(c, batch_id)["status"] == "running"
    stale = time.time() - app.config.get("JOB_HEARTBEAT_TTL", 90) - 5
    os.utime(lease, (stale, stale))  # ... and has stopped renewing its lease
    failed = _print_status(c, batch_id)
    assert failed["status"] == "failed" and "后台进程" in failed["error"]
    with app.app_context():
        assert db.session.get(PrintBatch, batch_id).status == "failed"


def test_this_process_holds_its_lease(app):
    with app.test_request_context("/"):
        job_id = jobs.enqueue(int, "7", job_timeout=5, description="lease")
        assert _until(lambda: jobs.job_status(job_id)["state"],
                      lambda s: s == "finished") == "finished"
        assert not jobs._lost(job_id)
    age = time.time() - os.stat(_lease(app, job_id.split("-")[1])).st_mtime
    assert age < app.config["JOB_HEARTBEAT_TTL"]
