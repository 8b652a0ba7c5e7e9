"""Health and metrics (app/monitoring.py) through HTTP: /healthz is public and sessionless,
/readyz reports each dependency and answers 503 when one is down, /metrics is for allowed
addresses or the token, labels are endpoint names, and a scrape reads the counters, never the
candidate table.

The module builds its own database: its request counts and job rows must not mix with other
modules'. Until ``create_app`` registers the monitoring routes itself, the fixture does.
"""
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, func, select

from app import create_app, monitoring
from app.candidates.models import Candidate
from app.candidates.states import STATE_LABELS
from app.exams.models import Exam
from app.extensions import db
from conftest import close_connections, make_config

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def scrape(client, **kw):
    resp = client.get("/metrics", **kw)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return {f.name: f for f in text_string_to_metric_families(resp.get_data(as_text=True))}


def samples(families, name, **labels):
    """Samples of family ``name`` (without _total/_count suffixes) whose labels include these."""
    return [s for s in families[name].samples
            if all(s.labels.get(k) == v for k, v in labels.items())]


def total(families, name, sample_name=None, **labels):
    """Sum of the matching samples named ``sample_name`` (default: the family's value
    samples; a counter's ``_created`` timestamps are left out)."""
    return sum(s.value for s in samples(families, name, **labels)
               if (s.name == sample_name if sample_name else not s.name.endswith("_created")))


# --- /healthz ------------------------------------------------------------------------------

def test_healthz_is_public_and_sets_no_cookie(app):
    http = app.test_client()
    resp = http.get("/healthz", environ_base=OUTSIDE)
    assert resp.status_code == 200 and resp.get_data(as_text=True).strip() == "ok"
    assert "Set-Cookie" not in resp.headers


def test_probes_ignore_a_session_cookie(app, login):
    """A logged-in browser's cookie is neither read (no login lookup) nor rewritten."""
    client = login("zy_admin")
    for url in ("/healthz", "/readyz", "/metrics"):
        resp = client.get(url)
        assert resp.status_code == 200 and "Set-Cookie" not in resp.headers, url


def test_probes_answer_over_plain_http_when_https_is_forced(app, monkeypatch):
    """Load balancers and Prometheus reach the app servers over the internal network."""
    monkeypatch.setattr(app.extensions["talisman"], "force_https", True)
    http = app.test_client()
    assert http.get("/login/").status_code == 302
    for url in ("/healthz", "/readyz", "/metrics"):
        assert http.get(url).status_code == 200, url


# --- /readyz -------------------------------------------------------------------------------

def test_readyz_reports_every_check(app):
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"db", "redis", "storage"}
    assert body["checks"]["db"]["ok"] is True and body["checks"]["db"]["ms"] >= 0
    assert body["checks"]["storage"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert "Set-Cookie" not in resp.headers


def test_readyz_fails_when_redis_is_unreachable(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://:hunter2@127.0.0.1:1/0")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "fail" and body["checks"]["redis"]["ok"] is False
    assert body["checks"]["db"]["ok"] is True
    text = resp.get_data(as_text=True)
    assert "hunter2" not in text and "127.0.0.1" not in text


def test_readyz_fails_when_the_database_is_unreachable(tmp_path):
    """A fresh app whose database does not answer (nothing listens on port 1)."""
    url = "postgresql://ks:secret-pw@127.0.0.1:1/kaosheng?connect_timeout=2"
    broken = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=url, REDIS_URL=""))
    if "monitoring" not in broken.blueprints:
        monitoring.register(broken)
    try:
        resp = broken.test_client().get("/readyz")
        assert resp.status_code == 503
        body = resp.get_json()
        assert body["checks"]["db"]["ok"] is False and body["checks"]["storage"]["ok"] is True
        text = resp.get_data(as_text=True)
        assert "secret-pw" not in text and "127.0.0.1" not in text
        # The scrape still answers: request counts survive a database outage.
        families = scrape(broken.test_client())
        assert total(families, "kaosheng_metrics_source_ok", source="jobs") == 0
        assert "kaosheng_http_requests" in families
    finally:
        close_connections(broken)


def test_readyz_fails_when_the_store_is_not_writable(app, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(blocker / "files"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["storage"]["ok"] is False


# --- access --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/metrics", "/readyz"])
def test_other_addresses_are_refused(app, url):
    http = app.test_client()
    resp = http.get(url, environ_base=OUTSIDE)
    assert resp.status_code == 403 and "kaosheng_" not in resp.get_data(as_text=True)
    assert http.get(url).status_code in (200, 503)  # 127.0.0.1: the test client's address


def test_a_proxied_request_is_not_local(app):
    """Through a reverse proxy on the same host the peer is 127.0.0.1; unless the proxy is
    trusted (PROXY_FIX_HOPS) that address grants nothing."""
    resp = app.test_client().get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert resp.status_code == 403


def test_token_and_allowed_networks(app, monkeypatch):
    http = app.test_client()
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token")
    good = {"Authorization": "Bearer s3cret-token"}
    assert http.get("/metrics", environ_base=OUTSIDE, headers=good).status_code == 200
    assert http.get("/metrics", environ_base=OUTSIDE,
                    headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert http.get("/metrics", environ_base=OUTSIDE).status_code == 403
    assert http.get("/metrics").status_code == 200
    monkeypatch.setitem(app.config, "METRICS_ALLOWED_NETWORKS", ["203.0.113.0/24"])
    assert http.get("/metrics", environ_base=OUTSIDE).status_code == 200
    assert http.get("/metrics").status_code == 403
    assert http.get("/metrics", environ_base={"REMOTE_ADDR": "::ffff:203.0.113.9"}
                    ).status_code == 200


# --- /metrics ------------------------------------------------------------------------------

def test_request_counter_counts_by_endpoint(app):
    http = app.test_client()
    before = total(scrape(http), "kaosheng_http_requests", endpoint="KsAuthDBView.login",
                   status="2xx")
    for _ in range(3):
        assert http.get("/login/").status_code == 200
    after = scrape(http)
    assert total(after, "kaosheng_http_requests", endpoint="KsAuthDBView.login",
                 status="2xx") == before + 3
    count = total(after, "kaosheng_http_request_duration_seconds",
                  "kaosheng_http_request_duration_seconds_count", endpoint="KsAuthDBView.login")
    assert count >= 3


def test_labels_are_endpoint_names_not_urls(app, login):
    client = login("zy_admin")
    with app.app_context():
        cand_id = db.session.execute(select(func.max(Candidate.id))).scalar_one()
    assert client.get(f"/candidateview/show/{cand_id}").status_code == 200
    client.get("/no/such/page/12345")
    families = scrape(client.http)
    endpoints = {s.labels["endpoint"] for s in families["kaosheng_http_requests"].samples}
    assert "CandidateView.show" in endpoints and "unmatched" in endpoints
    assert all(re.fullmatch(r"[A-Za-z_][\w.]*", e) for e in endpoints), endpoints
    labels = {v for f in families.values() for s in f.samples for v in s.labels.values()}
    assert not any("/" in v or "12345" in v for v in labels)


def test_jobs_by_status(app, login):
    http = app.test_client()
    before = total(scrape(http), "kaosheng_jobs", kind="exchange_export")
    client = login("henan_admin")
    with app.app_context():
        exam_id = db.session.execute(select(Exam.id).where(Exam.active.is_(True))).scalars().first()
    client.refresh_token("/exchange/")
    assert client.post("/exchange/export", {"exam": exam_id}).status_code == 302
    client.run_jobs()
    families = scrape(http)
    assert total(families, "kaosheng_jobs", kind="exchange_export") == before + 1
    kinds = {s.labels["kind"] for s in families["kaosheng_jobs"].samples}
    assert kinds <= set(monitoring.JOB_TABLES)


def test_candidates_by_state_match_the_records(app):
    families = scrape(app.test_client())
    with app.app_context():
        exams = db.session.execute(select(Exam.id).where(Exam.active.is_(True))).scalars().all()
        assert exams
        for exam_id in exams:
            real = dict(db.session.execute(
                select(Candidate.state, func.count()).where(Candidate.exam_id == exam_id)
                .group_by(Candidate.state)).all())
            got = {s.labels["state"]: s.value for s in
                   samples(families, "kaosheng_candidates", exam_id=str(exam_id))}
            assert set(STATE_LABELS) <= set(got)
            assert {k: v for k, v in got.items() if v} == real


def test_build_info_and_sources(app):
    families = scrape(app.test_client())
    info = families["kaosheng_build_info"].samples[0]
    assert info.labels["version"] and info.value == 1
    assert total(families, "kaosheng_metrics_source_ok", source="jobs") == 1
    assert total(families, "kaosheng_metrics_source_ok", source="candidates") == 1


def test_rq_gauges_when_redis_is_set(app, monkeypatch):
    if not app.config.get("REDIS_URL"):
        monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
        families = scrape(app.test_client())
        assert total(families, "kaosheng_rq_up") == 0
    else:
        families = scrape(app.test_client())
        assert total(families, "kaosheng_rq_up") == 1
        assert "kaosheng_rq_queue_length" in families and "kaosheng_rq_workers" in families


def test_a_scrape_never_reads_the_candidate_table(app):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        scrape(app.test_client())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert 1 <= len(statements) <= 4, statements
    assert not [s for s in statements if re.search(r"\bks_candidate\b", s)], statements


_WORKER = """
import pathlib, sys
sys.path.insert(0, "tests")
from flask import Flask
from app import create_app, monitoring
from conftest import make_config
requests, scrape = int(sys.argv[3]), sys.argv[4] == "scrape"
if scrape:
    app = create_app(make_config(pathlib.Path(sys.argv[1]), SQLALCHEMY_DATABASE_URI=sys.argv[2]))
else:  # A bare app serves /healthz as well and starts much faster.
    app = Flask("worker")
if "monitoring" not in app.blueprints:
    monitoring.register(app)
http = app.test_client()
for _ in range(requests):
    assert http.get("/healthz").status_code == 200
if scrape:
    print(http.get("/metrics").get_data(as_text=True))
"""


def test_multiprocess_mode_sums_the_processes(app, tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR (gunicorn -w N) a scrape answered by one process counts
    the requests every process served."""
    import os
    import subprocess
    import sys

    shared = tmp_path / "prom"
    shared.mkdir()
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(shared))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def worker(requests, action):
        return subprocess.run([sys.executable, "-c", _WORKER, str(tmp_path), db.engine.url
                               .render_as_string(hide_password=False), str(requests), action],
                              env=env, cwd=root, capture_output=True, text=True, check=True,
                              timeout=120).stdout

    with app.app_context():
        worker(2, "serve")
        out = worker(3, "scrape")
    families = {f.name: f for f in text_string_to_metric_families(out)}
    assert total(families, "kaosheng_http_requests", endpoint="monitoring.healthz",
                 status="2xx") == 5
