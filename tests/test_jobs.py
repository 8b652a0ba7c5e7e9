"""app.jobs: in-process fallback always; rq mode when KAOSHENG_TEST_REDIS points at a
Redis database the tests may write to (e.g. redis://127.0.0.1:6379/15)."""
import logging
import os
import uuid

import pytest
from flask import Flask

import jobs_fixtures
from app import jobs

REDIS_URL = os.environ.get("KAOSHENG_TEST_REDIS", "")


def make_app(**config):
    app = Flask("jobs_test_app")
    app.config.update({"REDIS_URL": "", **config})
    return app


@pytest.fixture
def local_app():
    app = make_app()
    with app.test_request_context("/"):
        yield app


# --- in-process ---------------------------------------------------------------------


def test_local_job_runs_at_once_with_progress_and_result(local_app):
    job_id = jobs.enqueue(jobs_fixtures.count_job, 5, label="rows", job_timeout=60,
                          description="count")
    status = jobs.job_status(job_id)
    assert status["id"] == job_id
    assert status["state"] == "finished"
    assert (status["done"], status["total"], status["percent"]) == (5, 5, 100)
    assert status["message"] == "5/5 rows"
    # current_app worked inside the job: it ran in the caller's app context.
    assert status["result"] == {"count": 5, "label": "rows", "app": "jobs_test_app"}
    assert status["error"] is None


def test_local_job_failure_is_recorded_not_raised(local_app, caplog):
    rollbacks = []

    class FakeDb:
        class session:
            @staticmethod
            def rollback():
                rollbacks.append(1)

    local_app.extensions["sqlalchemy"] = FakeDb()
    with caplog.at_level(logging.ERROR, logger="app.jobs"):
        job_id = jobs.enqueue(jobs_fixtures.half_then_fail, 4, job_timeout=60,
                              description="fails")
    status = jobs.job_status(job_id)
    assert status["state"] == "failed"
    assert status["error"] == "row 7: bad ID number"
    assert (status["done"], status["total"], status["percent"]) == (2, 4, 50)
    assert status["message"] == "halfway"
    assert status["result"] is None
    assert rollbacks == [1], "the request's session must be rolled back"
    assert "ValueError" in caplog.text, "the traceback must be logged"


def test_local_non_json_result_fails(local_app):
    status = jobs.job_status(jobs.enqueue(jobs_fixtures.non_json_job, job_timeout=5,
                                          description="set"))
    assert status["state"] == "failed"
    assert "not JSON serializable" in status["error"]


@pytest.mark.parametrize("job_id", ["0" * 32, "no-such-job", "../../etc", "", None, "x" * 65])
def test_unknown_or_malformed_id_is_none(local_app, job_id):
    assert jobs.job_status(job_id) is None


def test_owner_is_kept(local_app):
    mine = jobs.enqueue(jobs_fixtures.count_job, 1, job_timeout=5, description="o",
                        owner_id=42)
    nobody = jobs.enqueue(jobs_fixtures.count_job, 1, job_timeout=5, description="o")
    assert jobs.job_status(mine)["owner_id"] == 42
    assert jobs.job_status(nobody)["owner_id"] is None
    assert mine != nobody


def test_report_progress_outside_a_job_is_a_noop(local_app):
    job_id = jobs.enqueue(jobs_fixtures.count_job, 2, job_timeout=5, description="c")
    before = jobs.job_status(job_id)
    assert jobs.report_progress(1, 7, "stray") is None
    # The finished job's progress stays its own: its context ended with it.
    assert jobs.job_status(job_id) == before and before["message"] == "2/2 items"


# --- rq -----------------------------------------------------------------------------

needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="set KAOSHENG_TEST_REDIS=redis://127.0.0.1:6379/15 to test rq mode")


@pytest.fixture
def rq_app():
    from redis import Redis
    from rq import Queue

    queue_name = f"kaosheng-test-{uuid.uuid4().hex[:12]}"
    app = make_app(REDIS_URL=REDIS_URL, RQ_QUEUE=queue_name)
    connection = Redis.from_url(REDIS_URL)
    yield app, connection, queue_name
    # Leave db 15 as found: jobs, results and the per-queue registries.
    queue = Queue(queue_name, connection=connection)
    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
    queue.delete(delete_jobs=True)
    for key in connection.scan_iter(f"rq:*:{queue_name}"):
        connection.delete(key)

@needs_redis
def test_rq_job_runs_in_worker(rq_app):
    from rq import SimpleWorker

    app, connection, queue_name = rq_app
    ctx = app.test_request_context("/")
    ctx.push()
    ok = jobs.enqueue(jobs_fixtures.count_job, 3, label="rows", job_timeout=30,
                      description="count", owner_id=7)
    bad = jobs.enqueue(jobs_fixtures.half_then_fail, 10, job_timeout=30, description="bad")
    queued = jobs.job_status(ok)
    assert queued["state"] == "queued" and queued["owner_id"] == 7 and queued["percent"] == 0
    ctx.pop()

    with app.app_context():  # as app/worker.py does
        SimpleWorker([queue_name], connection=connection).work(burst=True)

    ctx.push()

    status = jobs.job_status(ok)
    assert status["state"] == "finished"
    assert (status["done"], status["total"], status["percent"]) == (3, 3, 100)
    assert status["message"] == "3/3 rows"
    assert status["result"] == {"count": 3, "label": "rows", "app": "jobs_test_app"}
    assert status["owner_id"] == 7

    failed = jobs.job_status(bad)
    assert failed["state"] == "failed"
    assert failed["error"] == "row 7: bad ID number"
    assert (failed["done"], failed["total"], failed["percent"]) == (5, 10, 50)
    assert failed["result"] is None
    ctx.pop()


@needs_redis
def test_rq_unknown_id_is_none(rq_app):
    with rq_app[0].app_context():
        assert jobs.job_status(uuid.uuid4().hex) is None


@needs_redis
def test_app_worker_gives_each_job_an_app_context(rq_app):
    from app.worker import AppWorker

    app, connection, queue_name = rq_app
    with app.app_context():
        job_id = jobs.enqueue(jobs_fixtures.count_job, 2, job_timeout=30, description="ctx")
    worker = AppWorker([queue_name], connection=connection)
    worker.flask_app = app
    # No app context is active here: the worker must push one for the job.
    worker.work(burst=True)
    with app.app_context():
        status = jobs.job_status(job_id)
    assert status["state"] == "finished", status
    assert status["result"]["app"] == "jobs_test_app"
