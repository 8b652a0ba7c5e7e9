"""Two app servers behind one load balancer: two gunicorn processes on different loopback
ports, one database (PostgreSQL with KAOSHENG_TEST_PG, else one SQLite file) holding the files
too (FILE_STORE="postgresql"), each with its own UPLOAD_DIR. What one server stored the other
serves: a photo, a registry upload mapped and imported there, the import's page and report;
a log-out on one ends the session on the other (the replayed cookie is refused). With
KAOSHENG_TEST_REDIS the jobs run on a third process, an rq worker with a directory of its
own; otherwise inside the request (JOBS_LOCAL=inline)."""
import contextlib
import hashlib
import os
import re
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests
from sqlalchemy import select

from app.candidates.models import ImportBatch
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.photos.models import CandidatePhoto
from factories import make_candidate
from helpers import csv_bytes, exam_id, idn
from photo_faces import encode, portrait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSRF_RE = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(app, upload_dir, **extra):
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               FILE_STORE="postgresql", KAOSHENG_UPLOADS=str(upload_dir),
               SECRET_KEY="two-servers-shared-secret", AUTH_RATE_LIMIT="1000 per minute",
               REDIS_URL=os.environ.get("KAOSHENG_TEST_REDIS", ""), JOBS_LOCAL="inline",
               KAOSHENG_ENV="development", PYTHONPATH=ROOT, **extra)
    return env


@contextlib.contextmanager
def _process(args, env, log):
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(base, proc, log):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{base} stopped: {log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/login/", timeout=30).status_code == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"{base} did not start")


@pytest.fixture(scope="module")
def servers(app, tmp_path_factory):
    """{"a": base URL, "b": base URL} of the two servers (and a worker with Redis)."""
    queue = f"kaosheng-two-{uuid.uuid4().hex[:8]}"
    tmp = tmp_path_factory.mktemp("servers")
    with contextlib.ExitStack() as stack:
        bases = {}
        for name in ("a", "b"):
            port = _free_port()
            log = tmp / f"{name}.log"
            proc = stack.enter_context(_process(
                [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "4",
                 "-b", f"127.0.0.1:{port}", "run:app"],
                _env(app, tmp / f"files-{name}", RQ_QUEUE=queue), log))
            bases[name] = f"http://127.0.0.1:{port}"
            _wait_ready(bases[name], proc, log)
        if os.environ.get("KAOSHENG_TEST_REDIS"):
            stack.enter_context(_process([sys.executable, "-m", "app.worker"],
                                         _env(app, tmp / "files-worker", RQ_QUEUE=queue),
                                         tmp / "worker.log"))
        yield bases
    for name in ("a", "b", "worker"):
        assert not list((tmp / f"files-{name}").rglob("*.jpg")), "a picture on a server's disk"


class Browser:
    """One browser: one cookie jar, whichever server the balancer picks for a request."""

    def __init__(self):
        self.http = requests.Session()

    def token(self, url):
        page = self.http.get(url, timeout=30)
        assert page.status_code == 200, (url, page.status_code)
        return CSRF_RE.search(page.text).group(1)

    def login(self, base, username):
        resp = self.http.post(base + "/login/", data={
            "username": username, "password": DEMO_PASSWORD, "csrf_token": self.token(base + "/login/")},
            allow_redirects=False, timeout=30)
        assert resp.status_code == 302 and "/login" not in resp.headers["Location"], resp.text[-500:]


def _status(browser, url):
    """The job's status JSON, polled until final (with a worker the job runs meanwhile)."""
    deadline = time.monotonic() + 120
    while True:
        status = browser.http.get(url, timeout=30).json()
        if status.get("final") or time.monotonic() > deadline:
            return status
        time.sleep(0.3)


def test_a_photo_stored_on_one_server_is_served_by_the_other(app, servers):
    cid = make_candidate(app)
    data = encode(portrait())
    browser = Browser()
    browser.login(servers["a"], "zy_school")
    token = browser.token(f"{servers['a']}/photos/candidate/{cid}")
    resp = browser.http.post(f"{servers['a']}/photos/candidate/{cid}/upload?kind=photo",
                             data={"csrf_token": token}, files={"file": ("p.jpg", data)},
                             headers={"Accept": "application/json"}, timeout=60)
    assert resp.status_code == 200, resp.text[-800:]
    with app.app_context():
        sha = db.session.execute(select(CandidatePhoto.file_sha256).where(
            CandidatePhoto.candidate_id == cid, CandidatePhoto.current.is_(True))).scalar_one()
    served = browser.http.get(f"{servers['b']}/photos/file/{cid}/photo", timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert hashlib.sha256(served.content).hexdigest() == sha


def test_a_registry_upload_on_one_server_is_imported_and_reported_by_the_other(app, servers):
    browser = Browser()
    browser.login(servers["a"], "zy_school")
    number = idn(11, 401)
    token = browser.token(servers["a"] + "/registry-import/")
    resp = browser.http.post(servers["a"] + "/registry-import/", data={
        "csrf_token": token, "exam": str(exam_id(app))}, files={"file": ("学籍.csv", csv_bytes(
            [["双机一", number, "男", "41010201", "汉", "13800003333", ""],
             ["双机二", "410102201104111234", "男", "41010201", "汉", "13800003334", ""]]))},
        allow_redirects=False, timeout=60)
    assert resp.status_code == 302, resp.text[-800:]
    batch_id = int(resp.headers["Location"].rstrip("/").split("/")[-2])
    with app.app_context():
        mapping = db.session.get(ImportBatch, batch_id).mapping
    # The mapping page and the job read the upload the other server stored.
    mapping_url = f"{servers['b']}/registry-import/{batch_id}/mapping"
    page = browser.http.get(mapping_url, timeout=30)
    assert page.status_code == 200 and "双机一" in page.text
    resp = browser.http.post(mapping_url, data={
        "csrf_token": CSRF_RE.search(page.text).group(1),
        **{f"col_{k}": str(v) for k, v in mapping.items()}}, allow_redirects=False, timeout=120)
    assert resp.status_code == 302, resp.text[-800:]
    status = _status(browser, f"{servers['a']}/registry-import/{batch_id}/status")
    assert status["status"] == "done" and (status["created"], status["rejected"]) == (1, 1), status
    progress = browser.http.get(f"{servers['a']}/registry-import/{batch_id}", timeout=30)
    # The rejected row is named from the kept upload, read back on this server.
    assert progress.status_code == 200 and "双机二" in progress.text
    report = browser.http.get(f"{servers['a']}/registry-import/{batch_id}/errors.csv", timeout=30)
    assert report.status_code == 200 and report.text.count("\n") == 2


def test_a_log_out_on_one_server_ends_the_session_on_the_other(servers):
    browser = Browser()
    browser.login(servers["a"], "zy_school")
    page = servers["b"] + "/registry-import/"
    assert browser.http.get(page, allow_redirects=False, timeout=30).status_code == 200
    stolen = browser.http.cookies.get_dict()
    browser.http.get(servers["a"] + "/logout/", timeout=30)
    replay = requests.get(page, cookies=stolen, allow_redirects=False, timeout=30)
    assert replay.status_code == 302 and "/login" in replay.headers["Location"]
