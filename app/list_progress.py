"""The candidate lists' count from the progress counters (``app/progress.py``): a list
filtered by nothing but the user's scope, one exam and one review state is counted exactly
at a cost that follows the number of units, not of candidates. ``app/menu.py`` (the
composition root) registers it with ``list_counts``, which ``base_views`` uses: neither may
import the candidates package (the candidates' screens are built on them)."""
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterRelationOneToManyEqual
from sqlalchemy import func, select

from .candidates.models import Candidate
from .candidates.states import STATE_LABELS
from .extensions import db
from .jurisdiction import JurisdictionFilter, Node, current_node, subtree_range
from .list_counts import count_by_counters
from .progress import TOTAL, _all_counts, maybe_compact, state_metric


def counted_filters(filters):
    """``(exam id or None, state or None)`` when ``filters`` (FAB's joined filters of a
    candidate list) are the user's scope plus at most one exam and one known review state:
    what the counters count. None for anything else."""
    exam = state = None
    for flt, value in zip(filters.filters, filters.values):
        if isinstance(flt, JurisdictionFilter):
            continue
        # FAB keeps a list of values per filter (the argument may repeat): one is wanted.
        values = value if isinstance(value, list) else [value]
        if len(values) != 1:
            return None
        value = values[0]
        if (flt.column_name == "state" and isinstance(flt, FilterEqual) and state is None
                and value in STATE_LABELS):
            state = value
        elif (flt.column_name == "exam" and isinstance(flt, FilterRelationOneToManyEqual)
              and exam is None and str(value).isdigit()):
            exam = int(value)
        else:
            return None
    return exam, state


def counted_rows(node, exam_id=None, state=None):
    """Candidates of ``node``'s subtree (of one exam, in one state) by the progress counters:
    one summing query over the count rows of the subtree's units."""
    if node is None:
        return 0
    maybe_compact()
    counts = _all_counts()
    stmt = (select(func.coalesce(func.sum(counts.c.n), 0)).select_from(counts)
            .join(Node, Node.id == counts.c.node_id)
            .where(counts.c.metric == (state_metric(state) if state else TOTAL),
                   subtree_range(Node.path, node.path)))
    if exam_id is not None:
        stmt = stmt.where(counts.c.exam_id == exam_id)
    return int(db.session.execute(stmt).scalar_one())


def candidate_list_count(filters):
    """The count of a candidate list with ``filters`` in the current user's subtree, or None
    when the counters cannot tell it."""
    wanted = counted_filters(filters)
    return None if wanted is None else counted_rows(current_node(), *wanted)


def use_progress_counters():
    """Large candidate lists (the candidate list, the review list) count by the counters."""
    count_by_counters(Candidate, candidate_list_count)
