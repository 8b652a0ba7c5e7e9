"""Background job of the ticket numbering (编排准考证号); takes ids only (see app/jobs.py)."""
from flask_babel import force_locale

from ..extensions import db
from ..phases.rules import PhaseClosed, check_open
from ..security import KsUser
from .models import NumberingRun
from .numbering import run_numbering

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
