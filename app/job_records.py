"""Job records: the database row a background job works for and reports on.

Every kind of background job (registry import, photo import, print batch, exchange export,
incident snapshot) keeps one row that outlives the job: who started it (``user_id``), for
which unit (``node_path``, the scope: the unit and the levels above see the row, anyone else
gets 404), its status in one vocabulary (:data:`STATUSES`), progress (``done`` of
``total``), the message (an error, or a note about the outcome), the file it produced
(``result_path``), the rq job (``job_id``) and when it was created, started and finished.
:class:`JobRecord` holds these columns and the few methods that move a record along.

Adding a kind of job takes two pieces:

1. A model ``class Thing(JobRecord, Model)`` with its own inputs and counts; override
   :meth:`JobRecord.counts` to name the counts its page shows (``{"rows": self.rows}``).
2. A task function taking the record's id (see app/jobs.py): ``record.start()`` and commit,
   work while calling ``record.advance(done, total)``, then ``record.finish(...)`` or
   ``record.fail(message)`` and commit.

The view then needs nothing of its own: it creates the record and calls
``record.start_job(task, …)`` (commit, enqueue, job id stored), and its status route returns
``jsonify(record.status_json(result_url))``. The page includes ``static/progress.js`` on an
element with ``data-status-url`` (see that file for the markup it fills in). The status read
is also where a job whose worker died becomes "failed" (:func:`app.jobs.record_job_status`).
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .jobs import enqueue, record_job_status, report_progress
from .jurisdiction import PATH_TYPE

#: waiting for the user before it can be queued (the registry import's column mapping)
NEW = "new"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (NEW, QUEUED, RUNNING, DONE, FAILED)
FINAL = (DONE, FAILED)
STATUS_LABELS = {NEW: _l("Not started"), QUEUED: _l("Waiting for a worker…"),
                 RUNNING: _l("Running…"), DONE: _l("Finished."), FAILED: _l("Failed")}
MESSAGE_MAX = 500


def _now():
    return dt.datetime.now()


class JobRecord:
    """Columns and life cycle of a background job's record (mixin for a model)."""

    __scope_path__ = "node_path"

    status: Mapped[str] = mapped_column(String(10), nullable=False, default=QUEUED)
    job_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(Integer, nullable=False)
    node_path: Mapped[str] = mapped_column(PATH_TYPE, nullable=False, index=True)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    message: Mapped[str | None] = mapped_column(String(MESSAGE_MAX))
    result_path: Mapped[str | None] = mapped_column(String(500))
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=_now)
    started_on: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_on: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def final(self):
        return self.status in FINAL

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    def queue(self):
        """Back to the queue (a first start or a resume): the old outcome is cleared."""
        self.status, self.message, self.finished_on = QUEUED, None, None

    def start(self):
        """The job has begun (again: a retry starts over)."""
        self.status, self.message, self.done = RUNNING, None, 0
        self.started_on, self.finished_on = _now(), None

    def advance(self, done, total, message=""):
        """Progress: stored on the record with the caller's next commit, and reported to the
        running job at once (the status read shows the job's figure while it runs)."""
        self.done, self.total = done, total
        report_progress(done, total, message)

    def finish(self, message=None, result_path=None):
        self.status, self.message, self.finished_on = DONE, _cut(message), _now()
        if result_path is not None:
            self.result_path = result_path

    def fail(self, message):
        """Failed with ``message`` for the user (kept if the record already ended)."""
        if not self.final:
            self.status, self.message, self.finished_on = FAILED, _cut(message), _now()

    def start_job(self, task, *args, timeout, description):
        """Commit this record, queue ``task(record id, *args)`` for it and store the job's id
        on it; return the record's id. ``description`` (rq's, for operators) gets the id
        appended. Without REDIS_URL the job runs in process and has committed by the time
        the queue returns, expiring the record: the id is set on a fresh read. When the
        queue cannot be reached the record is failed (it would stay "queued" for ever) and
        the error propagates."""
        db.session.add(self)
        db.session.commit()
        model, record_id = type(self), self.id
        try:
            job_id = enqueue(task, record_id, *args, job_timeout=timeout,
                             description=f"{description} {record_id}", owner_id=self.user_id)
        except Exception:
            db.session.rollback()
            db.session.get(model, record_id).fail(_l("The job queue is not reachable."))
            db.session.commit()
            raise
        db.session.get(model, record_id).job_id = job_id
        db.session.commit()
        return record_id

    def counts(self):
        """{name: n} the record's page shows beside the progress bar."""
        return {}

    def status_json(self, result_url=None):
        """The one status shape of every job (``result_url``: the download, when done)."""
        job = record_job_status(self) or {}
        if self.final or not job:
            done, total = self.done, self.total
        else:
            done, total = job.get("done") or self.done, job.get("total") or self.total
        if self.final:
            percent = 100
        else:
            percent = min(99, int(done * 100 / total)) if total else 0
        message = self.message or (None if self.final else job.get("message") or None)
        return {"id": self.id, "status": self.status, "label": str(self.status_label),
                "final": self.final, "done": done, "total": total, "percent": percent,
                "message": message, "error": self.message if self.status == FAILED else None,
                "result_url": result_url if self.status == DONE else None, **self.counts()}


def _cut(message):
    return str(message)[:MESSAGE_MAX] if message else None
