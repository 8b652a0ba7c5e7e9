"""The one rule of a 成人高考 candidate's payment state (seed 004 §三, §四.3–4): a candidate
confirmed on site pays online inside the ``payment`` window; "报名结束后，未进行现场确认或未完成缴费的
考生，网上所填的信息无效". The state is computed from the payment row and the window (with the
extensions granted to the candidate's unit), not set by a job: after the window's end an
unpaid, confirmed record is void, and becomes valid again only if a payment is recorded
(an office importing a late platform file, e.g. after an extension).

Numbering seats only paid candidates (``numbering.py``), so a void record is never seated."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..phases.rules import now_local, windows
from .models import AdultPayment
from .payments import confirmed_on_site

NOT_CONFIRMED, UNPAID, PAID, VOID = "not_confirmed", "unpaid", "paid", "void"
LABELS = {
    NOT_CONFIRMED: _l("Not yet due: pay after the on-site confirmation"),
    UNPAID: _l("Unpaid"),
    PAID: _l("Paid"),
    VOID: _l("Void (the fee was not paid in time)"),
}


def payment_deadline(candidate):
    """The latest end of the ``payment`` windows that apply to ``candidate`` (its category
    and unit, extensions included), or None when payment is not time-limited."""
    found = windows(candidate.exam_id, "payment", candidate.category, candidate.node)
    return max((end for _phase, end in found), default=None)


def payment_state(candidate, now=None, payment=None):
    """(state, payment or None) of ``candidate`` now."""
    if payment is None:
        payment = db.session.execute(select(AdultPayment).where(
            AdultPayment.candidate_id == candidate.id)).scalar_one_or_none()
    if payment is not None:
        return PAID, payment
    if not confirmed_on_site(candidate.state):
        return NOT_CONFIRMED, None
    deadline = payment_deadline(candidate)
    if deadline is not None and (now or now_local()) > deadline:
        return VOID, None
    return UNPAID, None
