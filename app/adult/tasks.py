"""Background job of the ticket numbering (编排准考证号); takes ids only (see app/jobs.py)."""
from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..jurisdiction import Node
from ..phases.rules import PhaseClosed, check_open
from ..security import KsUser
from ..audit import log_event
from .exam_docs import build_documents
from .models import ExamDocumentRun, NumberingRun
from .numbering import run_numbering
from .site_workflow import documents_refusal

NUMBERING_TIMEOUT = 3600


def number_tickets(run_id, locale="zh"):
    """Seat and number the run's exam's paid, confirmed candidates in the subtree of the user
    who started it. Safe to run again: seats and numbers already issued stay unless the run
    renumbers. The summary goes to ``run.result`` (``problems`` non-empty and nothing written
    when the window is closed or seats run out)."""
    run = db.session.get(NumberingRun, run_id)
    if run is None:
        return {"status": "gone"}
    run.start()
    db.session.commit()
    with force_locale(locale):
        try:
            # Asked again here: the job may start after the window closed.
            check_open("ticket_numbering", run.exam_id)
        except PhaseClosed as exc:
            run.result = {"problems": [str(exc)]}
        else:
            try:
                user = db.session.get(KsUser, run.user_id)
                result = run_numbering(run.exam, user.node, user, run.renumber, run.advance)
            except Exception as exc:
                db.session.rollback()
                db.session.get(NumberingRun, run_id).fail(str(exc) or type(exc).__name__)
                db.session.commit()
                raise
            run.result = result.as_dict()
    run.finish()
    db.session.commit()
    return run.status_json()


DOCUMENTS_TIMEOUT = 3600


def generate_documents(run_id, locale="zh"):
    """The 考务资料 of the run's unit: one PDF of its sites' summaries and rooms (exam_docs).
    Asks again whether every allocation in the unit is approved (a renumbering may have
    reopened one since the request)."""
    run = db.session.get(ExamDocumentRun, run_id)
    if run is None:
        return {"status": "gone"}
    run.start()
    db.session.commit()
    with force_locale(locale):
        unit = db.session.execute(select(Node).where(Node.path == run.node_path)).scalar_one()
        refusal = documents_refusal(run.exam_id, unit)
        if refusal is not None:
            run.result = {"problems": [str(refusal)]}
            run.finish(str(refusal))
            db.session.commit()
            return run.status_json()
        try:
            ref, summary = build_documents(run, unit, lambda done, total: _advance(
                run_id, done, total))
        except Exception as exc:
            db.session.rollback()
            db.session.get(ExamDocumentRun, run_id).fail(str(exc) or type(exc).__name__)
            db.session.commit()
            raise
        run = db.session.get(ExamDocumentRun, run_id)
        run.result = summary
        run.finish(result_path=ref)
        db.session.commit()
        log_event("documents", ExamDocumentRun.__tablename__,
                  {"exam": run.exam_id, "unit": run.node_path, "run": run.id, **summary},
                  actor=db.session.get(KsUser, run.user_id))
        db.session.commit()
    return run.status_json()


def _advance(run_id, done, total):
    run = db.session.get(ExamDocumentRun, run_id)
    run.advance(done, total)
    db.session.commit()
