"""rq worker for kaosheng jobs: ``python -m app.worker [--burst]``.

Uses the app's config (``REDIS_URL``, ``RQ_QUEUE``). A SimpleWorker runs jobs in its own
process (no fork per job: about 3x the throughput of rq's forking Worker), so run several
of these processes for parallelism. ``job_timeout`` still applies (SIGALRM, main thread).
"""
import argparse
import logging
import sys

from rq import SimpleWorker


class AppWorker(SimpleWorker):
    """Runs each job in a fresh app context of ``flask_app``.

    The context's teardown removes the SQLAlchemy session, so a job that fails mid
    transaction (or leaves objects in the identity map) cannot affect the next job.
    """

    flask_app = None

    def execute_job(self, job, queue):
        if self.flask_app is None:
            return super().execute_job(job, queue)
        with self.flask_app.app_context():
            return super().execute_job(job, queue)


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
        worker.flask_app = app
        worker.work(burst=options.burst)


if __name__ == "__main__":
    main()
