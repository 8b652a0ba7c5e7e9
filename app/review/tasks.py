"""Background job of a large bulk review (ids only, see app/jobs.py): the stored selection
(app/review/models.ReviewSelection) is applied by ``workflow.apply_selection``, its progress
and outcome kept on the selection, which is the job's record."""
from flask import current_app, g

from ..extensions import db
from ..security import KsUser
from .models import ReviewSelection
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
