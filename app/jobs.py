"""Background jobs: rq when ``REDIS_URL`` is set, otherwise in this process.

Job functions are plain module-level functions taking ids and plain values (rq imports them
by dotted path in the worker). They run inside a Flask app context in every mode, may call
:func:`report_progress`, and must return something JSON-serialisable (views send it as
JSON). Callers must commit before :func:`enqueue`: a worker only sees committed rows.

Without Redis, ``JOBS_LOCAL`` chooses how: ``"thread"`` (the default) queues the job for a
small pool of background threads the app starts on its first job (``JOBS_THREADS``, 2),
each job in an app context (so a database session) of its own, and the request returns at
once; ``"inline"`` (the test suite) runs it inside the request, in the request's context.
In-process job state lives in this process's memory, so run a single process (threads for
concurrency) or use rq: with several gunicorn workers a status request may land in a process
that never saw the job. ``job_timeout`` is only enforced by rq.

A killed worker (kill -9, OOM, a restarted machine) cannot record its job's end. The worker
(app/worker.py) holds a short lease on its running job, renewed every
``JOB_HEARTBEAT_INTERVAL`` seconds for ``JOB_HEARTBEAT_TTL`` seconds; :func:`job_status`, the
one status read, fails a started job whose lease ran out (rq's abandoned-job cleanup), and
:func:`record_job_status` carries that onto the job's record (app/job_records.py) with
:data:`WORKER_STOPPED`, so the user can resume it. In-process jobs die with their process:
the process holds one such lease (a file under ``UPLOAD_DIR``) named in its job ids, and a job
of a process whose lease ran out reads as failed the same way.
"""
import contextvars
import json
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections import OrderedDict

from flask import current_app
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

#: Seconds between renewals of a running job's lease by its worker, and the lease's length:
#: a job whose worker died is reported failed at most this long after its last renewal.
HEARTBEAT_INTERVAL = 30
HEARTBEAT_TTL = 90
WORKER_STOPPED = _l("The worker processing this job stopped (the server was restarted or the "
                    "process was ended) before the job finished. Resume it: what was saved "
                    "so far is kept and is not written twice.")

# rq keeps a finished job's result for result_ttl (default only 500 s); users come back to
# an import report later, so keep it a day, and failures (for support) a week.
RESULT_TTL = 24 * 3600
FAILURE_TTL = 7 * 24 * 3600
# Progress is written to Redis at most this often (a job may report once per row).
_SAVE_INTERVAL = 0.25
# Finished in-process jobs kept in memory; the oldest are forgotten first.
_LOCAL_MAX = 1000
# Ids come from URLs; anything else is never a job of ours (and never reaches Redis).
_JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# An in-process job's id names the process that runs it (its lease): local-<process>-<job>.
_LOCAL_ID_RE = re.compile(r"local-([0-9a-f]{12})-[0-9a-f]{32}")
_LEASE_DIR = "job-leases"
_FINAL_STATES = ("finished", "failed")

_STATES = {"queued": "queued", "deferred": "queued", "scheduled": "queued",
           "created": "queued", "started": "started", "finished": "finished",
           "failed": "failed", "stopped": "failed", "canceled": "failed"}

_local_jobs = OrderedDict()
_local_lock = threading.Lock()
_current_local_id = contextvars.ContextVar("kaosheng_local_job_id", default=None)
_redis_clients = {}
# Per process (reset in a forked child, which has none of its parent's threads): its lease
# name, the job thread pool of each app, and the lease files it renews {path: interval}.
_process = {}
_process_lock = threading.Lock()


def _redis(url):
    # One client (and connection pool) per URL for the process.
    client = _redis_clients.get(url)
    if client is None:
        from redis import Redis

        client = _redis_clients[url] = Redis.from_url(url)
    return client


def _error_text(exc):
    return str(exc) or type(exc).__name__


# --- enqueue ------------------------------------------------------------------------


def enqueue(func, *args, job_timeout, description, owner_id=None, **kwargs):
    """Run ``func(*args, **kwargs)`` as a job; return its id."""
    url = current_app.config.get("REDIS_URL")
    if url:
        return _enqueue_rq(url, func, args, kwargs, job_timeout, description, owner_id)
    return _enqueue_local(func, args, kwargs, description, owner_id)


def _enqueue_rq(url, func, args, kwargs, job_timeout, description, owner_id):
    from rq import Callback, Queue

    queue = Queue(current_app.config.get("RQ_QUEUE", "kaosheng"), connection=_redis(url))
    # enqueue_call, not enqueue: the job's own kwargs may not collide with rq's options.
    job = queue.enqueue_call(
        func, args=args, kwargs=kwargs, timeout=job_timeout, description=description,
        result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
        meta={"owner_id": owner_id, "done": 0, "total": 0, "message": ""},
        on_failure=Callback(_record_failure),
    )
    return job.id


def _record_failure(job, connection, exc_type, exc_value, traceback):
    """rq failure callback: keep the bare message; rq itself only stores the traceback."""
    from rq.exceptions import AbandonedJobError

    if isinstance(exc_value, AbandonedJobError):
        return  # no message of the job's own: job_status() says the worker stopped
    job.meta["error"] = _error_text(exc_value)
    job.save_meta()


def _enqueue_local(func, args, kwargs, description, owner_id):
    app = current_app._get_current_object()
    _hold_lease(app)
    job_id = f"local-{_process['name']}-{uuid.uuid4().hex}"
    entry = {"state": "queued", "done": 0, "total": 0, "message": "", "result": None,
             "error": None, "owner_id": owner_id, "description": description}
    _remember(job_id, entry)
    if app.config.get("JOBS_LOCAL", "inline") == "thread":
        _pool(app).put((job_id, entry, func, args, kwargs))
    else:
        _run_local(job_id, entry, func, args, kwargs)
    return job_id


def _remember(job_id, entry):
    """Keep the job's state; beyond _LOCAL_MAX the oldest finished ones are forgotten (a
    queued or running job never is: its status must stay readable)."""
    with _local_lock:
        _local_jobs[job_id] = entry
        excess = len(_local_jobs) - _LOCAL_MAX
        if excess > 0:
            ended = [k for k, e in _local_jobs.items() if e["state"] in _FINAL_STATES]
            for key in ended[:excess]:
                del _local_jobs[key]


def _update(entry, **values):
    with _local_lock:
        entry.update(values)


def _run_local(job_id, entry, func, args, kwargs):
    """Run one in-process job in the current app context and record how it ended."""
    token = _current_local_id.set(job_id)
    _update(entry, state="started")
    try:
        result = func(*args, **kwargs)
        # rq would pickle anything; fail here so a non-JSON result shows up in tests
        # rather than as a broken status view in production.
        json.dumps(result)
    except Exception as exc:
        log.exception("In-process job %s (%s) failed", job_id, entry["description"])
        # Inline, the job shares the request's session: a failed transaction would
        # otherwise break the rest of the request.
        sqlalchemy = current_app.extensions.get("sqlalchemy")
        if sqlalchemy is not None:
            sqlalchemy.session.rollback()
        _update(entry, state="failed", error=_error_text(exc))
    else:
        _update(entry, state="finished", result=result)
    finally:
        _current_local_id.reset(token)


def _this_process():
    with _process_lock:
        if _process.get("pid") != os.getpid():
            _process.clear()
            _process.update(pid=os.getpid(), name=uuid.uuid4().hex[:12], pools={},
                            leases={}, renewer=None)
    return _process


def _pool(app):
    """The app's job queue, served by JOBS_THREADS daemon threads started on first use."""
    process = _this_process()
    with _local_lock:
        jobs = process["pools"].get(app)
        if jobs is None:
            jobs = process["pools"][app] = queue.Queue()
            for n in range(max(1, int(app.config.get("JOBS_THREADS", 2)))):
                threading.Thread(target=_serve, args=(app, jobs), daemon=True,
                                 name=f"kaosheng-job-{n + 1}").start()
    return jobs


def _serve(app, jobs):
    # Daemon threads: a stopping process does not wait for them; its jobs in flight are
    # lost and read as failed once its lease runs out (see _lost).
    while True:
        job_id, entry, func, args, kwargs = jobs.get()
        try:
            # Its own app context: its own database session, removed at the end.
            with app.app_context():
                _run_local(job_id, entry, func, args, kwargs)
        except Exception as exc:  # entering or leaving the context failed: live on
            log.exception("In-process job %s: its app context failed", job_id)
            if entry["state"] not in _FINAL_STATES:
                _update(entry, state="failed", error=_error_text(exc))


# --- the process lease of in-process jobs ---------------------------------------------


def _lease_path(app, name):
    folder = app.config.get("UPLOAD_DIR")
    return os.path.join(folder, _LEASE_DIR, name) if folder else None


def _hold_lease(app):
    """Create this process's lease file in the app's UPLOAD_DIR and keep it renewed."""
    process = _this_process()
    path = _lease_path(app, process["name"])
    if path is None or path in process["leases"]:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    _drop_expired_leases(app, os.path.dirname(path))
    with open(path, "a"):
        os.utime(path)
    with _local_lock:
        process["leases"][path] = float(app.config.get("JOB_HEARTBEAT_INTERVAL",
                                                       HEARTBEAT_INTERVAL))
        if process["renewer"] is None:
            process["renewer"] = threading.Thread(target=_renew, args=(process,), daemon=True,
                                                  name="kaosheng-job-lease")
            process["renewer"].start()


def _drop_expired_leases(app, folder):
    """Remove the leases of ended processes (one file per process start): a missing lease
    reads the same as an expired one."""
    ttl = float(app.config.get("JOB_HEARTBEAT_TTL", HEARTBEAT_TTL))
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if time.time() - os.stat(path).st_mtime > ttl:
                os.remove(path)
        except OSError:  # another process removed it first
            pass


def _renew(process):
    while True:
        with _local_lock:
            leases = dict(process["leases"])
        time.sleep(min(leases.values()))
        for path in leases:
            try:
                os.utime(path)
            except OSError:  # removed (an emptied UPLOAD_DIR): write it again
                try:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    open(path, "a").close()
                except OSError:
                    log.exception("Could not renew the job lease %s", path)


def _lost(job_id):
    """Whether ``job_id`` is an in-process job of a process that has ended: another
    process's, whose lease was not renewed for JOB_HEARTBEAT_TTL seconds."""
    match = _LOCAL_ID_RE.fullmatch(job_id)
    if match is None or match.group(1) == _this_process()["name"]:
        return False
    path = _lease_path(current_app, match.group(1))
    if path is None:
        return False
    ttl = float(current_app.config.get("JOB_HEARTBEAT_TTL", HEARTBEAT_TTL))
    try:
        return time.time() - os.stat(path).st_mtime > ttl
    except FileNotFoundError:
        return True


# --- progress -----------------------------------------------------------------------


def report_progress(done, total, message=""):
    """Record progress of the running job; a no-op when called outside a job."""
    local_id = _current_local_id.get()
    if local_id is not None:
        entry = _local_jobs.get(local_id)
        if entry is not None:
            _update(entry, done=done, total=total, message=message)
        return
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return
    job.meta.update(done=done, total=total, message=message)
    now = time.monotonic()
    last = getattr(job, "_kaosheng_saved_at", None)
    if last is None or done >= total or now - last >= _SAVE_INTERVAL:
        job.save_meta()
        job._kaosheng_saved_at = now


# --- status -------------------------------------------------------------------------


def _status(job_id, state, meta, result=None, error=None):
    done, total = meta.get("done") or 0, meta.get("total") or 0
    if state == "finished":
        percent = 100
    else:
        percent = min(100, int(done * 100 / total)) if total else 0
    return {"id": job_id, "state": state, "done": done, "total": total, "percent": percent,
            "message": meta.get("message") or "", "result": result,
            "error": error if state == "failed" else None, "owner_id": meta.get("owner_id")}


def job_status(job_id):
    """The job's state and progress as a dict (see module doc), or None if unknown."""
    if not isinstance(job_id, str) or not _JOB_ID_RE.fullmatch(job_id):
        return None
    with _local_lock:
        entry = dict(_local_jobs.get(job_id) or {})
    if entry:
        return _status(job_id, entry["state"], entry, entry["result"], entry["error"])
    if _lost(job_id):
        return _status(job_id, "failed", {}, error=str(WORKER_STOPPED))
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=_redis(url))
    except NoSuchJobError:
        return None
    state = _rq_state(job, refresh=False)
    if state == "started" and _reap_abandoned(job):
        state = _rq_state(job, refresh=True)
    result = error = None
    if state == "finished":
        result = job.return_value()
    elif state == "failed":
        error = job.meta.get("error") or _failure_text(job)
    return _status(job.id, state, job.meta, result, error)


def record_job_status(record):
    """job_status() of the job behind ``record`` (a :class:`app.job_records.JobRecord`), or
    None. The one status read of every job record: when the job failed while the record
    still says it runs (its worker died and never recorded the end), the record is failed
    first, with the job's error or :data:`WORKER_STOPPED`, so its page says why and offers
    to resume."""
    status = job_status(record.job_id) if record.job_id else None
    if status is not None and status["state"] == "failed" and not record.final:
        record.fail(status["error"] or str(WORKER_STOPPED))
        current_app.extensions["sqlalchemy"].session.commit()
    return status


def _rq_state(job, refresh):
    raw = job.get_status(refresh=refresh)
    return _STATES.get(getattr(raw, "value", raw), "queued")


def _reap_abandoned(job):
    """Run rq's cleanup of started jobs whose lease ran out (it fails them and calls their
    failure callback); True if it did anything. A timer, not SIGALRM, bounds the callbacks:
    a status request may be served outside the main thread."""
    from rq.registry import StartedJobRegistry
    from rq.timeouts import TimerDeathPenalty

    registry = StartedJobRegistry(job.origin, connection=job.connection,
                                  death_penalty_class=TimerDeathPenalty)
    if not registry.get_expired_job_ids():
        return False
    registry.cleanup()
    return True


def _failure_text(job):
    # The failure callback never ran or kept nothing: the worker died, or rq's cleanup
    # found the job abandoned (its exc_string then names AbandonedJobError).
    latest = job.latest_result()
    text = (getattr(latest, "exc_string", None) or "").strip()
    if not text or "AbandonedJobError" in text:
        return str(WORKER_STOPPED)
    return text.splitlines()[-1]
