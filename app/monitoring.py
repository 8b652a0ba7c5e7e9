"""Health and metrics for operations (实时监控): ``/healthz``, ``/readyz`` and ``/metrics``.

* ``/healthz`` — liveness for a load balancer or systemd: the process answers, nothing else is
  touched (a database outage must not get every app server restarted).
* ``/readyz`` — readiness: the database answers a one-row query (under a short statement
  timeout on PostgreSQL), Redis answers when ``REDIS_URL`` is set, the file store is
  writable. JSON; 503 when a check fails. Errors are named by exception class only, so no
  URL, host or password leaks.
* ``/metrics`` — Prometheus text format (``prometheus_client``): requests and latency per
  Flask endpoint (never the raw URL, so one series per route, not per candidate id) and
  status class; log-ins, account locks, imports and photos stored (the counters of
  :mod:`app.event_metrics`); job records per status; rq queue length and workers; candidates
  per review state of the active exams from the trigger-maintained counts of
  :mod:`app.progress` (the candidate table itself is never read); build information.

``/readyz`` and ``/metrics`` answer only to ``METRICS_ALLOWED_NETWORKS`` or to the bearer
token ``METRICS_TOKEN``: the counts are not public. The three routes are exempt from CSRF,
never open nor write a session (no Set-Cookie, no login lookup), and are not redirected to
HTTPS (load balancers and Prometheus probe the app servers over the internal network).

Under gunicorn with several workers each process counts its own requests; with
``PROMETHEUS_MULTIPROC_DIR`` set (before the processes start) prometheus_client keeps the
counters in files there and ``/metrics`` sums every process's (README, Monitoring). The rq
workers of the same host count in directories of their own (``METRICS_WORKER_DIRS``, a glob),
which ``/metrics`` sums too: an import or photo import counts where it runs. Both are
environment variables of the processes, not settings: prometheus_client reads its directory at
import, before any configuration.
"""
import functools
import glob
import hmac
import ipaddress
import logging
import os
import shutil
import subprocess
import tempfile
import time

from flask import Blueprint, Response, current_app, g, jsonify, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from sqlalchemy import String, column, event, func, literal, select, table, text, union_all

from . import event_metrics
from .extensions import csrf, db

log = logging.getLogger(__name__)

bp = Blueprint("monitoring", __name__)

DEFAULT_ALLOWED_NETWORKS = ("127.0.0.1/32", "::1/128")
#: statement timeout of the readiness query on PostgreSQL (ms), unless READYZ_DB_TIMEOUT_MS.
DEFAULT_DB_TIMEOUT_MS = 2000
#: Redis connect and read timeout of the readiness check and the queue metrics (s).
REDIS_TIMEOUT = 1.0
#: job record tables (label ``kind`` → table); each holds one row per job, not per item.
JOB_TABLES = {
    "registry_import": "ks_import_batch",
    "photo_import": "ks_photo_import",
    "print_batch": "ks_print_batch",
    "exchange_export": "ks_exchange_export",
    "incident_snapshot": "ks_incident_snapshot",
    "candidate_export": "ks_candidate_export",
    "ticket_numbering": "ks_numbering_run",
}
#: a status label is cut to this length: the column is free text to this module.
STATUS_LABEL_MAX = 20
#: headers a reverse proxy adds; with them and no trusted proxy (PROXY_FIX_HOPS=0) the peer
#: address is the proxy's, not the client's, so it grants nothing.
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
#: the candidates' log-in form (app/selfservice/views.py): a POST it answers with a redirect
#: has logged in, any other answer (401 wrong or locked, 400, 429) is a failed attempt.
CANDIDATE_LOGIN = "selfservice.login"

REQUESTS = Counter("kaosheng_http_requests_total", "HTTP requests answered.",
                   ["endpoint", "status"], registry=None)
LATENCY = Histogram("kaosheng_http_request_duration_seconds",
                    "Time from the start of a request to its response.",
                    ["endpoint", "status"], registry=None,
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def register(app):
    """Add the routes, the request metrics and the session exemption to ``app`` (call in
    ``create_app``, before the first request)."""
    app.register_blueprint(bp)
    csrf.exempt(bp)
    # First of the before-request hooks: the time then covers the others (login lookup…).
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_count_request)
    app.after_request(_count_candidate_login)
    _count_photos()
    app.session_interface = _ProbeSessionless(app.session_interface)
    talisman = app.extensions.get("talisman")
    if talisman is not None:
        for endpoint in ("healthz", "readyz", "metrics"):
            talisman(force_https=False)(app.view_functions[f"{bp.name}.{endpoint}"])


def _is_probe(req):
    return req.blueprint == bp.name


class _ProbeSessionless:
    """The app's session interface, but a probe gets an empty session that is never saved:
    its cookie (if any) is not read, so no login is looked up, and no Set-Cookie is sent."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def open_session(self, app, req):
        if _is_probe(req):
            return self._inner.session_class()
        return self._inner.open_session(app, req)

    def save_session(self, app, session, response):
        if _is_probe(request):
            return None
        return self._inner.save_session(app, session, response)


# --- request metrics -----------------------------------------------------------------------

def _start_timer():
    g.monitoring_started = time.perf_counter()


def _count_request(response):
    # The endpoint name (e.g. "CandidateView.show"), never the path: bounded labels.
    endpoint = request.endpoint or "unmatched"
    status = f"{response.status_code // 100}xx"
    REQUESTS.labels(endpoint, status).inc()
    started = g.get("monitoring_started")
    if started is not None:
        LATENCY.labels(endpoint, status).observe(time.perf_counter() - started)
    return response


def _count_candidate_login(response):
    if request.endpoint == CANDIDATE_LOGIN and request.method == "POST":
        event_metrics.count_login(event_metrics.CANDIDATE, response.status_code == 302)
    return response


def _photo_stored(_mapper, _connection, photo):
    event_metrics.count_photo(photo.kind)


def _count_photos():
    """Count each candidate picture as its row is inserted, wherever it comes from (the
    capture page, self-service, the photo import): ``photos.service.accept_photo`` is the only
    writer. A mapper event, listened to once per process however many apps are made."""
    from .photos.models import CandidatePhoto

    if not event.contains(CandidatePhoto, "after_insert", _photo_stored):
        event.listen(CandidatePhoto, "after_insert", _photo_stored)


# --- access --------------------------------------------------------------------------------

def _allowed():
    """From an allowed network (the peer, as ProxyFix reports it), or with the token."""
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(
            given[len("Bearer "):].encode(), str(token).encode()):
        return True
    if not current_app.config.get("PROXY_FIX_HOPS") and any(
            h in request.headers for h in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    # A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in network for network in _networks(
        tuple(current_app.config.get("METRICS_ALLOWED_NETWORKS", DEFAULT_ALLOWED_NETWORKS))))


@functools.lru_cache(maxsize=8)
def _networks(specs):
    return [ipaddress.ip_network(spec, strict=False) for spec in specs]


def _forbidden():
    return Response("forbidden\n", status=403, mimetype="text/plain")


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# --- routes --------------------------------------------------------------------------------

@bp.route("/healthz")
def healthz():
    """Liveness: this process answers."""
    return _no_store(Response("ok\n", mimetype="text/plain"))


@bp.route("/readyz")
def readyz():
    """Readiness: every dependency a request needs answers."""
    if not _allowed():
        return _forbidden()
    checks = {"db": _timed(_check_db), "redis": _check_redis(), "storage": _timed(_check_storage)}
    ready = all(c["ok"] for c in checks.values())
    response = jsonify({"status": "ok" if ready else "fail", "checks": checks})
    response.status_code = 200 if ready else 503
    return _no_store(response)


@bp.route("/metrics")
def metrics():
    if not _allowed():
        return _forbidden()
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry.register(_ProcessFiles(os.environ.get("METRICS_WORKER_DIRS")))
    else:
        for counter in (REQUESTS, LATENCY, *event_metrics.COUNTERS):
            registry.register(counter)
    registry.register(_StateCollector(current_app.config))
    return _no_store(Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST))


class _ProcessFiles:
    """The counters of every process of this host: the files of this server's processes in
    ``PROMETHEUS_MULTIPROC_DIR`` and those of the rq workers in the directories matching
    ``worker_dirs`` (a glob pattern, e.g. ``/run/kaosheng-worker-*/prometheus``), summed."""

    def __init__(self, worker_dirs):
        self.dirs = [os.environ["PROMETHEUS_MULTIPROC_DIR"]]
        if worker_dirs:
            self.dirs += sorted(d for d in glob.glob(worker_dirs) if d not in self.dirs)

    def collect(self):
        files = [f for d in self.dirs for f in glob.glob(os.path.join(d, "*.db"))]
        return multiprocess.MultiProcessCollector.merge(files, accumulate=True)


# --- readiness checks ----------------------------------------------------------------------

def _timed(check):
    """{"ok", "ms"} of running ``check``; a failure is named by its class only (a message
    may hold a host name or a URL) and logged in full."""
    started = time.perf_counter()
    result = {"ok": True}
    try:
        result.update(check() or {})
    except Exception as exc:
        log.warning("readiness check %s failed", check.__name__, exc_info=True)
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _check_db():
    timeout = int(current_app.config.get("READYZ_DB_TIMEOUT_MS", DEFAULT_DB_TIMEOUT_MS))
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # LOCAL: only this transaction, which is rolled back when the connection closes.
            conn.execute(text(f"SET LOCAL statement_timeout = {timeout}"))
        conn.execute(text("SELECT 1")).scalar_one()


def _check_redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"ok": True, "configured": False}

    def redis():
        client = _redis(url)
        client.ping()
        from rq import Worker

        return {"workers": Worker.count(connection=client)}

    return _timed(redis)


def _check_storage():
    root = current_app.config["UPLOAD_DIR"]
    os.makedirs(root, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".readyz-") as probe:
        probe.write(b"ok")
        probe.flush()
    return {"free_mb": shutil.disk_usage(root).free // (1024 * 1024)}


@functools.lru_cache(maxsize=4)
def _redis(url):
    """A client of its own with short timeouts: a probe must not hang on a dead Redis."""
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)


# --- state read at scrape time -------------------------------------------------------------

class _StateCollector:
    """Gauges read when Prometheus scrapes (so in multiprocess mode they are not summed over
    processes): jobs per status, rq queue, candidates per state, build information, free
    disk. Two bounded SQL statements, none on the candidate table."""

    def __init__(self, config):
        self.config = config

    def collect(self):
        ok = GaugeMetricFamily("kaosheng_metrics_source_ok", "Whether this scrape could read "
                               "a source of the gauges (0: the database failed).",
                               labels=["source"])
        for source, read in (("jobs", _job_metrics), ("candidates", _candidate_metrics)):
            try:
                gauge = read()
            except Exception:
                # A database outage must not cost the request metrics of the same scrape.
                log.warning("metrics source %s failed", source, exc_info=True)
                db.session.rollback()
                ok.add_metric([source], 0)
            else:
                ok.add_metric([source], 1)
                yield gauge
        yield ok
        yield from _rq_metrics(self.config)
        yield _storage_metric(self.config)
        info = InfoMetricFamily("kaosheng_build", "The running application's version.")
        info.add_metric([], {"version": _version(self.config)})
        yield info


def _job_metrics():
    """One statement: a GROUP BY on ``status`` of each job table (one row per job, small)."""
    parts = [select(literal(kind, String).label("kind"), t.c.status, func.count().label("n"))
             .select_from(t).group_by(t.c.status)
             for kind, t in ((k, table(name, column("status"))) for k, name in JOB_TABLES.items())]
    gauge = GaugeMetricFamily("kaosheng_jobs", "Job records (imports, photo imports, print "
                              "batches, exchange exports, incident snapshots) per status.",
                              labels=["kind", "status"])
    for kind, status, n in db.session.execute(union_all(*parts)):
        gauge.add_metric([kind, str(status or "none")[:STATUS_LABEL_MAX]], n)
    return gauge


def _candidate_metrics():
    """Candidates per review state of each active exam, summed from the progress counters
    (compacted rows plus pending deltas, app/progress.py); a known state with no candidate
    reads 0."""
    from .candidates.states import STATE_LABELS
    from .exams.models import Exam
    from .progress import ProgressCount, ProgressDelta, state_metric

    counts = union_all(
        select(ProgressCount.exam_id, ProgressCount.metric, ProgressCount.n),
        select(ProgressDelta.exam_id, ProgressDelta.metric, ProgressDelta.n)).subquery()
    prefix = state_metric("")
    stmt = (select(Exam.id, Exam.kind, Exam.year, counts.c.metric, func.sum(counts.c.n))
            .select_from(Exam).outerjoin(counts, (counts.c.exam_id == Exam.id)
                                         & counts.c.metric.startswith(prefix))
            .where(Exam.active.is_(True))
            .group_by(Exam.id, Exam.kind, Exam.year, counts.c.metric))
    by_exam = {}
    for exam_id, kind, year, metric, n in db.session.execute(stmt):
        states = by_exam.setdefault((str(exam_id), kind, str(year)),
                                    dict.fromkeys(STATE_LABELS, 0))
        if metric is not None:
            states[metric[len(prefix):]] = int(n or 0)
    gauge = GaugeMetricFamily("kaosheng_candidates", "Candidates of each active exam per "
                              "review state (from the progress counters).",
                              labels=["exam_id", "kind", "year", "state"])
    for labels, states in by_exam.items():
        for state, n in states.items():
            gauge.add_metric([*labels, state], n)
    return gauge


def _rq_metrics(config):
    url = config.get("REDIS_URL")
    if not url:
        return
    name = config.get("RQ_QUEUE", "kaosheng")
    up = GaugeMetricFamily("kaosheng_rq_up", "Whether Redis answered this scrape.")
    try:
        from rq import Queue, Worker

        queue = Queue(name, connection=_redis(url))
        values = [("kaosheng_rq_queue_length", "Jobs waiting in the rq queue.", queue.count),
                  ("kaosheng_rq_workers", "rq workers listening on the queue.",
                   Worker.count(queue=queue)),
                  ("kaosheng_rq_failed_jobs", "Jobs in the queue's failed-job registry.",
                   queue.failed_job_registry.count)]
    except Exception:
        log.warning("rq metrics failed", exc_info=True)
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    yield up
    for metric, doc, value in values:
        gauge = GaugeMetricFamily(metric, doc, labels=["queue"])
        gauge.add_metric([name], value)
        yield gauge


def _storage_metric(config):
    gauge = GaugeMetricFamily("kaosheng_storage_free_bytes",
                              "Free space on the file system of UPLOAD_DIR.")
    try:
        gauge.add_metric([], shutil.disk_usage(config["UPLOAD_DIR"]).free)
    except OSError:
        pass
    return gauge


def _version(config):
    return str(config.get("APP_VERSION") or _git_version())


@functools.lru_cache(maxsize=1)
def _git_version():
    """The checked-out commit (read-only ``git rev-parse``), "unknown" outside a checkout."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=2, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"
