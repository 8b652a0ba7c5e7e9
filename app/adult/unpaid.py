"""核实已确认未缴费考生情况 (seed 004 §四.5): after the payment deadline each confirmation point
checks, one by one, the candidates it confirmed on site who have not paid, and records why,
inside the ``unpaid_check`` window."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import scope_clause
from ..phases.rules import check_open_for
from ..refusals import BadInput
from .models import OTHER_REASON, UNPAID_REASONS, AdultPayment, UnpaidCheck
from .payments import CONFIRMED_ON_SITE, confirmed_on_site

NOTE_LIMIT = 200


class UnpaidCheckRefused(BadInput):
    """The reason cannot be recorded; the message says why (translated)."""


def unpaid_candidates(exam_id, node):
    """[(candidate, check or None)] of ``exam_id`` in ``node``'s subtree confirmed on site and
    not paid, by unit and 考生号."""
    paid = select(AdultPayment.candidate_id)
    stmt = (select(Candidate, UnpaidCheck)
            .outerjoin(UnpaidCheck, UnpaidCheck.candidate_id == Candidate.id)
            .where(Candidate.exam_id == exam_id, Candidate.state.in_(CONFIRMED_ON_SITE),
                   Candidate.id.notin_(paid), scope_clause(Candidate, node))
            .order_by(Candidate.node_id, Candidate.candidate_number, Candidate.id))
    return db.session.execute(stmt).all()


def payment_labels(rows, now=None):
    """{candidate id: payment state label} of :func:`unpaid_candidates`' rows: 未缴费 while the
    candidate may still pay, 已作废 once its payment window (with its unit's extensions) has
    ended — the rule of ``payment_state``, with one window lookup per category and unit."""
    from .payment_state import LABELS, payment_state

    deadlines = {}
    labels = {}
    for cand, _check in rows:
        key = (cand.category, cand.node_id)
        if key not in deadlines:
            deadlines[key] = payment_state(cand, now)[0]
        labels[cand.id] = LABELS[deadlines[key]]
    return labels


def clean_reason(reason, note):
    """``(reason, note)`` checked: a reason of the list, a note for "other", at most 200
    characters. Raises UnpaidCheckRefused."""
    note = " ".join(str(note or "").split()) or None
    if reason not in {code for code, _zh, _en in UNPAID_REASONS}:
        raise UnpaidCheckRefused(_l("Choose a reason from the list."))
    if reason == OTHER_REASON and not note:
        raise UnpaidCheckRefused(_l("Explain the reason in the note."))
    if note and len(note) > NOTE_LIMIT:
        raise UnpaidCheckRefused(_l("At most %(n)d characters.", n=NOTE_LIMIT))
    return reason, note


def record_reason(candidate, reason, note, user_id):
    """Record (or correct) why ``candidate`` has not paid; the caller loaded it through the
    scope and commits. Raises UnpaidCheckRefused or phases' PhaseClosed."""
    reason, note = clean_reason(reason, note)
    check_open_for("unpaid_check", candidate)
    if not confirmed_on_site(candidate.state):
        raise UnpaidCheckRefused(_l("%(name)s has not been confirmed on site.",
                                    name=candidate.name))
    if db.session.execute(select(AdultPayment.id).where(
            AdultPayment.candidate_id == candidate.id)).first():
        raise UnpaidCheckRefused(_l("%(name)s has paid meanwhile; no reason is needed.",
                                    name=candidate.name))
    check = db.session.execute(select(UnpaidCheck).where(
        UnpaidCheck.candidate_id == candidate.id)).scalar_one_or_none()
    if check is None:
        check = UnpaidCheck(candidate=candidate)
        db.session.add(check)
    check.reason, check.note, check.checked_by = reason, note, user_id
    return check
