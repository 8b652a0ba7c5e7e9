"""``JobRecord.start_job``, the one way a view starts a background job for its record: the
record is committed, the job queued with the record's id, and the job's id stored on the
record (read again: an in-process job has committed by then); when the queue cannot be
reached the record is failed instead of staying "queued" for ever."""
import pytest
from sqlalchemy import select

from app.adult.models import NumberingRun
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.job_records import DONE, FAILED, QUEUED

RAN = []


def mark_done(record_id, word):
    """A task: finishes its record (as every task does) and remembers its arguments."""
    RAN.append((record_id, word))
    run = db.session.get(NumberingRun, record_id)
    run.start()
    run.finish("ok")
    db.session.commit()


def new_run():
    exam = db.session.execute(select(Exam).where(Exam.kind == ADULT)).scalars().first()
    return NumberingRun(exam_id=exam.id, renumber=False, user_id=1, node_path="/1/")


def test_an_in_process_job_runs_and_its_id_is_stored(app):
    with app.app_context(), _config(app, REDIS_URL=None):
        record_id = new_run().start_job(mark_done, "hello", timeout=60, description="test run")
        db.session.expire_all()
        run = db.session.get(NumberingRun, record_id)
        assert (record_id, "hello") in RAN
        assert run.status == DONE and run.job_id and run.job_id.startswith("local-")


def test_an_unreachable_queue_fails_the_record(app):
    # Port 9 (discard) answers nothing on loopback: the connection is refused at once.
    with app.app_context(), _config(app, REDIS_URL="redis://127.0.0.1:9/0"):
        run = new_run()
        with pytest.raises(Exception):
            run.start_job(mark_done, "never", timeout=60, description="test run")
        db.session.expire_all()
        rows = db.session.execute(select(NumberingRun).where(
            NumberingRun.status.in_((QUEUED, FAILED))).order_by(NumberingRun.id.desc())
        ).scalars().first()
        assert rows.status == FAILED and rows.job_id is None
        assert "队列" in rows.message or "queue" in rows.message


class _config:
    """Set app config keys for a block (None removes the key), restoring them after."""

    def __init__(self, app, **values):
        self.app, self.values, self.saved = app, values, {}

    def __enter__(self):
        for key, value in self.values.items():
            self.saved[key] = self.app.config.get(key)
            if value is None:
                self.app.config.pop(key, None)
            else:
                self.app.config[key] = value

    def __exit__(self, *exc):
        for key, value in self.saved.items():
            if value is None:
                self.app.config.pop(key, None)
            else:
                self.app.config[key] = value
