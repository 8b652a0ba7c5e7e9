"""rq worker for kaosheng jobs: ``python -m app.worker [--burst]``.

Uses the app's config (``REDIS_URL``, ``RQ_QUEUE``). A SimpleWorker runs jobs in its own
process (no fork per job: about 3x the throughput of rq's forking Worker), so run several
of these processes for parallelism. ``job_timeout`` still applies (SIGALRM, main thread).
"""
import argparse
import contextlib
import logging
import sys
import threading

from rq import SimpleWorker
from rq.worker import WorkerStatus

from app.jobs import HEARTBEAT_INTERVAL, HEARTBEAT_TTL

log = logging.getLogger(__name__)


class AppWorker(SimpleWorker):
    """Runs each job in a fresh app context of ``flask_app``, holding a short lease on it.

    The context's teardown removes the SQLAlchemy session, so a job that fails mid
    transaction (or leaves objects in the identity map) cannot affect the next job.

    rq's SimpleWorker registers a running job as alive for its whole ``job_timeout`` (it
    cannot heartbeat while the job runs in its only thread), so a killed worker's import
    looked "running" for an hour. Here a thread renews a ``heartbeat_ttl`` lease every
    ``heartbeat_interval`` seconds; when the process dies the lease runs out and the next
    status read (app.jobs.job_status) fails the job.
    """

    flask_app = None
    heartbeat_interval = HEARTBEAT_INTERVAL
    heartbeat_ttl = HEARTBEAT_TTL

    def get_heartbeat_ttl(self, job, working_time=0.0):
        return self.heartbeat_ttl

    def execute_job(self, job, queue):
        context = self.flask_app.app_context() if self.flask_app else contextlib.nullcontext()
        with context:
            execution = self.prepare_execution(job)
            with self._lease(job, execution):
                self.perform_job(job, queue, execution)
            self.set_state(WorkerStatus.IDLE)

    @contextlib.contextmanager
    def _lease(self, job, execution):
        stop = threading.Event()

        def renew():
            while not stop.wait(self.heartbeat_interval):
                try:
                    self.maintain_heartbeats(job, execution)
                except Exception:  # a Redis hiccup must not end the renewals
                    log.exception("Could not renew the lease of job %s", job.id)

        thread = threading.Thread(target=renew, name=f"lease-{job.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def configure(worker, app):
    """Give ``worker`` the app and its lease settings (JOB_HEARTBEAT_INTERVAL / _TTL)."""
    worker.flask_app = app
    worker.heartbeat_interval = float(app.config.get("JOB_HEARTBEAT_INTERVAL",
                                                     HEARTBEAT_INTERVAL))
    worker.heartbeat_ttl = int(app.config.get("JOB_HEARTBEAT_TTL", HEARTBEAT_TTL))
    return worker


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the kaosheng background-job worker.")
    parser.add_argument("--burst", action="store_true",
                        help="exit once the queue is empty (for cron and tests)")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from app import create_app
    from app.jobs import _redis

    app = create_app()
    url = app.config.get("REDIS_URL")
    if not url:
        sys.exit("REDIS_URL is not set: without Redis, jobs run inside the web process "
                 "and no worker is needed.")
    connection = _redis(url)
    with app.app_context():
        worker = AppWorker([app.config.get("RQ_QUEUE", "kaosheng")], connection=connection)
        configure(worker, app).work(burst=options.burst)


if __name__ == "__main__":
    main()
