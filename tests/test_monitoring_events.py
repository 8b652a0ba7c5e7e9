"""The event counters of /metrics (app/event_metrics.py) through HTTP: a staff or candidate
log-in that fails or succeeds, an account locked, a registry import and its rows, a photo
stored — each read back from the /metrics text. The counters live in the process (or in the
multiprocess files), so each test compares a scrape before and after; the last test sums an rq
worker's files into a server's scrape.

The module builds its own database (the locks and imports stay in it)."""
import os
import pathlib
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.demo import DEMO_PASSWORD
from app.extensions import db
from conftest import Client
from factories import make_user
from helpers import csv_bytes, idn, me_login, run_import, upload_photo, without_photos
from photo_faces import encode, portrait

pytestmark = pytest.mark.usefixtures("fresh_address_limit")


def metrics(app):
    resp = app.test_client().get("/metrics")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def value(text, name, **labels):
    """The sample ``name`` (e.g. kaosheng_logins_total) with exactly these labels; 0 if absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


class Delta:
    """The change of counters between its creation and :meth:`of`."""

    def __init__(self, app):
        self.app, self.before = app, metrics(app)

    def of(self, name, **labels):
        return value(metrics(self.app), name, **labels) - value(self.before, name, **labels)


def staff_login(app, username, password, n):
    """A log-in from its own address (the per-address limit stays out of the way)."""
    c = Client(app)
    c.refresh_token("/login/")
    return c.post("/login/", {"username": username, "password": password},
                  environ_base={"REMOTE_ADDR": f"10.8.{n}.1"})


def test_every_series_exists_from_the_start(app):
    text = metrics(app)
    for kind in ("staff", "candidate"):
        for outcome in ("success", "failure"):
            assert f'kaosheng_logins_total{{kind="{kind}",outcome="{outcome}"}}' in text
        assert f'kaosheng_account_lockouts_total{{kind="{kind}"}}' in text
    for outcome in ("created", "updated", "rejected"):
        assert f'kaosheng_import_rows_total{{outcome="{outcome}"}}' in text


def test_staff_log_ins_and_a_lockout_are_counted(app):
    username = make_user(app, node="410102", role="county_reviewer")
    delta = Delta(app)
    resp = staff_login(app, username, "wrong-password", 0)
    assert "/login/" in resp.location
    assert delta.of("kaosheng_logins_total", kind="staff", outcome="failure") == 1
    assert delta.of("kaosheng_logins_total", kind="staff", outcome="success") == 0
    # unknown user names fail too
    staff_login(app, "no_such_user", "wrong-password", 1)
    assert delta.of("kaosheng_logins_total", kind="staff", outcome="failure") == 2
    delta = Delta(app)
    for i in range(app.config["STAFF_MAX_FAILURES"]):
        staff_login(app, username, f"wrong-{i}", 10 + i)
    assert delta.of("kaosheng_account_lockouts_total", kind="staff") == 1
    # locked: the right password is a failure, and no second lock
    staff_login(app, username, DEMO_PASSWORD, 99)
    assert delta.of("kaosheng_logins_total", kind="staff", outcome="failure") == (
        app.config["STAFF_MAX_FAILURES"] + 1)
    assert delta.of("kaosheng_logins_total", kind="staff", outcome="success") == 0
    assert delta.of("kaosheng_account_lockouts_total", kind="staff") == 1
    delta = Delta(app)
    assert "/login" not in staff_login(app, "zy_admin", DEMO_PASSWORD, 100).location
    assert delta.of("kaosheng_logins_total", kind="staff", outcome="success") == 1


def test_candidate_log_ins_and_a_lockout_are_counted(app, candidate):
    _c, _cid, id_number = candidate()
    delta = Delta(app)
    assert me_login(Client(app), id_number).status_code == 302
    assert delta.of("kaosheng_logins_total", kind="candidate", outcome="success") == 1
    delta = Delta(app)
    for _ in range(app.config["SELF_SERVICE_MAX_FAILURES"]):
        assert me_login(Client(app), id_number, "Wrong-password-1").status_code == 401
    assert delta.of("kaosheng_logins_total", kind="candidate", outcome="failure") == (
        app.config["SELF_SERVICE_MAX_FAILURES"])
    assert delta.of("kaosheng_account_lockouts_total", kind="candidate") == 1
    assert me_login(Client(app), id_number).status_code == 401  # locked
    assert delta.of("kaosheng_logins_total", kind="candidate", outcome="success") == 0
    assert delta.of("kaosheng_account_lockouts_total", kind="candidate") == 1


def test_an_import_counts_its_rows(app, school_staff):
    delta = Delta(app)
    _batch, status = run_import(school_staff, app, csv_bytes([
        ["计数甲", idn(3, 301), "男", "41010201", "汉", "13800003011", ""],
        ["计数乙", idn(3, 302), "女", "41010201", "汉", "13800003033", ""],
        ["无此校", idn(3, 305), "男", "99999999", "汉", "13800003055", ""]]))
    assert (status["created"], status["updated"], status["rejected"]) == (2, 0, 1)
    assert delta.of("kaosheng_imports_total") == 1
    assert delta.of("kaosheng_import_rows_total", outcome="created") == 2
    assert delta.of("kaosheng_import_rows_total", outcome="rejected") == 1
    run_import(school_staff, app, csv_bytes([
        ["计数甲", idn(3, 301), "男", "41010201", "回族", "13800003011", ""]]))
    assert delta.of("kaosheng_imports_total") == 2
    assert delta.of("kaosheng_import_rows_total", outcome="updated") == 1


def test_a_stored_photo_is_counted_a_rejected_one_is_not(app, school_staff):
    (cid, _idn), = without_photos(app, 1)
    delta = Delta(app)
    assert not upload_photo(school_staff, cid, b"not a picture", as_json=True).get_json()["ok"]
    assert delta.of("kaosheng_photos_stored_total", kind="photo") == 0
    assert upload_photo(school_staff, cid, encode(portrait())).status_code == 302
    assert delta.of("kaosheng_photos_stored_total", kind="photo") == 1


_COUNT_IN_WORKER = """
from types import SimpleNamespace
from app import event_metrics
event_metrics.count_import(SimpleNamespace(created_count=3, updated_count=1, rejected_count=2))
event_metrics.count_lockout(event_metrics.CANDIDATE)
"""

_SCRAPE = """
import pathlib, sys
sys.path.insert(0, "tests")
from app import create_app
from conftest import make_config
app = create_app(make_config(pathlib.Path(sys.argv[1]), SQLALCHEMY_DATABASE_URI=sys.argv[2]))
print(app.test_client().get("/metrics").get_data(as_text=True))
"""


def test_an_rq_workers_counts_are_summed_into_the_servers_scrape(app, tmp_path):
    """Multiprocess mode: a worker counting in its own directory (METRICS_WORKER_DIRS) is in
    the scrape of the app server of its host, beside the server's own processes."""
    web, worker = tmp_path / "web", tmp_path / "worker-1" / "prometheus"
    web.mkdir()
    worker.mkdir(parents=True)
    root = pathlib.Path(__file__).resolve().parent.parent

    def run(code, env, *args):
        return subprocess.run([sys.executable, "-c", code, *args], cwd=root, check=True,
                              env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=120).stdout

    run(_COUNT_IN_WORKER, {"PROMETHEUS_MULTIPROC_DIR": str(worker)})
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(web)}
    alone = run(_SCRAPE, env, str(tmp_path), url)
    assert value(alone, "kaosheng_imports_total") == 0
    env["METRICS_WORKER_DIRS"] = str(tmp_path / "worker-*" / "prometheus")
    summed = run(_SCRAPE, env, str(tmp_path), url)
    assert value(summed, "kaosheng_imports_total") == 1
    assert value(summed, "kaosheng_import_rows_total", outcome="created") == 3
    assert value(summed, "kaosheng_import_rows_total", outcome="rejected") == 2
    assert value(summed, "kaosheng_account_lockouts_total", kind="candidate") == 1
