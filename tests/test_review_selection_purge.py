"""Old bulk-review selections are purged (``flask kaosheng purge-selections``): a selection
keeps one row per record it acted on, so without a purge the table grows by every bulk
review of the season. What the reviews did stays in the records' timelines."""
import datetime as dt
import re

from sqlalchemy import func, select

from app.extensions import db
from app.review.models import ReviewEvent, ReviewSelection, ReviewSelectionRow
from helpers import text
from test_bulk_review import SIGNOFF, confirm, make_many, select_rows, states, Urls


def _selection_id(location):
    return int(re.search(r"selection=(\d+)", location).group(1))


def _age(app, selection_id, days, column):
    with app.app_context():
        selection = db.session.get(ReviewSelection, selection_id)
        setattr(selection, column, dt.datetime.now() - dt.timedelta(days=days))
        db.session.commit()


def _rows(app, selection_id):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(ReviewSelectionRow).where(
            ReviewSelectionRow.selection_id == selection_id)).scalar()


def test_old_selections_and_their_rows_are_purged_recent_ones_kept(app, login):
    reviewer = Urls(login("zy_school_reviewer"))
    done_old_ids = make_many(app, 4, "清理旧批", state="confirmed")
    location = select_rows(reviewer, "school_approve", done_old_ids)
    done_old = _selection_id(location)
    _page, resp = confirm(reviewer, "school_approve", location, **SIGNOFF)
    assert "完成 4 条" in text(resp)
    abandoned = _selection_id(select_rows(reviewer, "school_reject",
                                          make_many(app, 2, "清理未确认", state="confirmed")))
    recent_ids = make_many(app, 3, "清理新批", state="confirmed")
    location = select_rows(reviewer, "school_approve", recent_ids)
    recent = _selection_id(location)
    confirm(reviewer, "school_approve", location, **SIGNOFF)
    assert _rows(app, done_old) == 4 and _rows(app, abandoned) == 2 and _rows(app, recent) == 3
    _age(app, done_old, 10, "finished_on")
    _age(app, abandoned, 10, "created_on")

    result = app.test_cli_runner().invoke(args=["kaosheng", "purge-selections", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 selection(s), 6 row(s)" in result.output
    with app.app_context():
        left = set(db.session.execute(select(ReviewSelection.id).where(
            ReviewSelection.id.in_([done_old, abandoned, recent]))).scalars())
        events = db.session.execute(select(func.count()).select_from(ReviewEvent).where(
            ReviewEvent.candidate_id.in_(done_old_ids))).scalar()
    assert left == {recent}
    assert _rows(app, done_old) == 0 and _rows(app, abandoned) == 0 and _rows(app, recent) == 3
    # The reviews themselves stay: states and each record's timeline.
    assert set(states(app, done_old_ids).values()) == {"school_approved"} and events == 4
    assert reviewer.get(f"/review/selection/{done_old}").status_code == 404
