"""What a candidate is told about the review of its qualification applications (资格审核结果反馈):
plain data for the self-service pages (and anything else showing a candidate its results)."""
from functools import cache

from sqlalchemy import bindparam, func, select

from ..extensions import db
from .models import Qualification, ReviewEvent
from ..candidates.states import is_rejected
from .states import QUALIFICATION_KINDS, QUALIFICATION_STATES


def qualification_results(candidate_id):
    """One dict per application of the candidate, oldest first:

    ``kind`` / ``kind_label`` (分配生…), ``state`` / ``state_label``, ``rejected`` (bool),
    ``reason`` (the rejection reason shown to the candidate, else None), ``filed_on`` and
    ``decided_on`` (time of the last review step, None while nobody has acted).
    Labels are lazy strings: they render in the page's language."""
    rows = db.session.execute(_results_statement(), {"cid": candidate_id}).all()
    return [{"kind": r.kind, "kind_label": QUALIFICATION_KINDS.get(r.kind, r.kind),
             "state": r.state, "state_label": QUALIFICATION_STATES.get(r.state, r.state),
             "rejected": is_rejected(r.state),
             "reason": r.reject_reason if is_rejected(r.state) else None,
             "filed_on": r.created_on, "decided_on": r.at} for r in rows]


@cache
def _results_statement():
    """Built once per process: the status page asks it on every load, and building the select
    costs more than running it (selfservice_load.py)."""
    last_step = (select(ReviewEvent.qualification_id, func.max(ReviewEvent.at).label("at"))
                 .where(ReviewEvent.candidate_id == bindparam("cid"),
                        ReviewEvent.qualification_id.is_not(None))
                 .group_by(ReviewEvent.qualification_id).subquery())
    return (select(Qualification.kind, Qualification.state, Qualification.reject_reason,
                   Qualification.created_on, last_step.c.at)
            .outerjoin(last_step, last_step.c.qualification_id == Qualification.id)
            .where(Qualification.candidate_id == bindparam("cid"))
            .order_by(Qualification.id))
