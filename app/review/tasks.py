"""Background job of a large bulk review (ids only, see app/jobs.py): the stored selection
(app/review/models.ReviewSelection) is applied by ``workflow.apply_selection``, its progress
and outcome kept on the selection, which is the job's record."""
import datetime as dt

from flask import current_app, g
from sqlalchemy import delete, func, or_, select

from ..extensions import db
from ..job_records import DONE, FAILED
from ..security import KsUser
from .models import ReviewSelection, ReviewSelectionRow
from .workflow import apply_selection

REVIEW_TIMEOUT = 3600


def run_bulk_review(selection_id):
    """Apply the selection as the reviewer who confirmed it. It runs in a request context of
    its own so that the audit rows name that reviewer, as the rows of a review in a page do;
    a retry carries on with the rows not done yet."""
    selection = db.session.get(ReviewSelection, selection_id)
    if selection is None:
        return {"status": "gone"}
    selection.start()
    db.session.commit()
    try:
        with current_app.test_request_context("/review/list/"):
            g.user = db.session.get(KsUser, selection.user_id)
            apply_selection(selection_id, g.user, progress=selection.advance)
    except Exception as exc:
        db.session.rollback()
        db.session.get(ReviewSelection, selection_id).fail(str(exc) or type(exc).__name__)
        db.session.commit()
        raise
    selection = db.session.get(ReviewSelection, selection_id)
    selection.advance(selection.selected, selection.selected)
    selection.finish()
    db.session.commit()
    return selection.status_json()


def purge_selections(days):
    """Delete the bulk-review selections (and their rows: one per record acted on) that are
    done with: finished or failed more than ``days`` ago, or never confirmed and created that
    long ago. Their result pages then answer 404; the reviews themselves stay in each record's
    timeline and the audit trail. Returns (selections, rows) deleted."""
    cutoff = dt.datetime.now() - dt.timedelta(days=days)
    old = select(ReviewSelection.id).where(or_(
        ReviewSelection.status.in_((DONE, FAILED)) & (ReviewSelection.finished_on < cutoff),
        ReviewSelection.finished_on.is_(None) & (ReviewSelection.created_on < cutoff)))
    ids = db.session.execute(old).scalars().all()
    rows = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows += db.session.execute(select(func.count()).select_from(ReviewSelectionRow).where(
            ReviewSelectionRow.selection_id.in_(chunk))).scalar()
        # Rows first: SQLite enforces no ON DELETE CASCADE without its foreign-key pragma.
        db.session.execute(delete(ReviewSelectionRow).where(
            ReviewSelectionRow.selection_id.in_(chunk)))
        db.session.execute(delete(ReviewSelection).where(ReviewSelection.id.in_(chunk)))
        db.session.commit()
    return len(ids), rows
