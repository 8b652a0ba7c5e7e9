"""States of point proposals (报名确认点申报) and data submissions (数据上报) and the checks on
plain values, tested without a request; ``workflow.py`` holds their transition tables, whose
guards and effects read and write rows.

Proposals (seed 004 §四.1): a county proposes → the city agrees → the province approves, which
creates the point; either level may reject with a reason, and the county may then rewrite and
propose again, or withdraw. Submissions (seed 004 §四.8): a county reports its reviewed data to
the city, the city (once every county's report is accepted) to the province; the receiving
level accepts or returns it with a reason, and a returned unit submits again (a new row; the
returned one stays as history). A receiving level may also return a report it accepted, so an
error found later can still be sent back down.
"""
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .. import codes
from ..candidates.states import CONFIRMED, DRAFT, REJECTED as RECORD_REJECTED, STATE_LABELS
from ..jurisdiction import KIND_LABELS
from ..transitions import TransitionRefused
from ..validators import InvalidValue, validate_mobile

# --- point proposals -------------------------------------------------------------------------

PROPOSED, CITY_APPROVED, APPROVED, REJECTED = "proposed", "city_approved", "approved", "rejected"
PROPOSAL_STATES = {
    PROPOSED: _l("Awaiting the city"),
    CITY_APPROVED: _l("Agreed by the city, awaiting the province"),
    APPROVED: _l("Approved, point set up"), REJECTED: _l("Rejected"),
}
#: States holding the proposed code (no other proposal may use it meanwhile).
PENDING = (PROPOSED, CITY_APPROVED)
PROPOSE, WITHDRAW = "propose", "withdraw"

# --- data submissions ------------------------------------------------------------------------

SUBMITTED, ACCEPTED, RETURNED = "submitted", "accepted", "returned"
SUBMISSION_STATES = {SUBMITTED: _l("Submitted, awaiting acceptance"), ACCEPTED: _l("Accepted"),
                     RETURNED: _l("Returned")}
#: States in which a unit's report of an exam stands (it may not submit another).
LIVE = (SUBMITTED, ACCEPTED)
SUBMIT = "submit"
#: Review states whose records are not reviewed yet: a unit with any of them cannot report.
UNREVIEWED = (DRAFT, CONFIRMED, RECORD_REJECTED)


@dataclass(frozen=True)
class SentBy:
    """Guard of a step deciding on what a unit of ``kind`` sends up (a city decides on its
    counties' proposals and reports, the province on its cities' reports)."""

    kind: str

    def __call__(self, move):
        node = move.subject.node
        refusal = level_refusal(move.transition, node.kind, node.name)
        if refusal is not None:
            raise TransitionRefused(refusal)


# --- checks on plain values ------------------------------------------------------------------

def level_refusal(transition, unit_kind, unit_name):
    """None when ``transition`` applies to rows of a unit of ``unit_kind`` (its SentBy guard
    names that kind, or it has none), else the refusal."""
    sender = next((g.kind for g in transition.guards if isinstance(g, SentBy)), unit_kind)
    if sender == unit_kind:
        return None
    return _l("“%(action)s” applies to what a %(level)s sends up; %(unit)s is a %(kind)s.",
              action=transition.label, level=KIND_LABELS[sender], unit=unit_name,
              kind=KIND_LABELS.get(unit_kind, unit_kind))


def adult_fields_refusal(exam_kind, levels, for_minors, for_medical):
    """Levels served and the 低龄 / 医卫类 designations belong to 成人高考 points: refused for a
    point proposed for another kind of exam, and unknown level codes are refused."""
    if exam_kind != codes.ADULT:
        if levels or for_minors or for_medical:
            return _l("Levels served and the designations for candidates under 17 or medical "
                      "majors apply to adult exam (成人高考) points only; leave them empty for "
                      "this exam.")
        return None
    known = {c for c, *_ in codes.CANDIDATE_CATEGORIES[codes.ADULT]}
    unknown = [c for c in levels if c not in known]
    if unknown:
        return _l("Unknown level: %(codes)s.", codes="、".join(unknown))
    return None


_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")


def validate_point_phone(value):
    """A point's phone: a mainland mobile number, or a landline with its area code
    (0371-67891234, extension after a second hyphen); returned without spaces."""
    s = re.sub(r"\s+", "", value or "")
    if _LANDLINE.fullmatch(s):
        return s
    try:
        return validate_mobile(s)
    except InvalidValue:
        raise InvalidValue("point_phone", _l(
            "Enter a landline with its area code (e.g. 0371-67891234) or an 11-digit mobile "
            "number.")) from None


def unreviewed_refusal(unit_name, totals):
    """The refusal to report while records are still draft / confirmed / rejected, with how
    many of each (``totals`` as app/progress.py:progress counts them), or None."""
    waiting = [(STATE_LABELS[s], totals.get(s, 0)) for s in UNREVIEWED if totals.get(s, 0)]
    if not waiting:
        return None
    return _l("%(unit)s cannot report yet: %(n)d records are not reviewed (%(detail)s). Data "
              "is reported once it has been reviewed.", unit=unit_name,
              n=sum(n for _, n in waiting),
              detail="，".join(f"{label} {n}" for label, n in waiting))


def missing_counties_refusal(unit_name, missing):
    """A city reports once every county's report of the exam is accepted: the refusal naming
    the counties still missing, or None."""
    if not missing:
        return None
    return _l("%(unit)s cannot report yet: the reports of %(counties)s have not been accepted.",
              unit=unit_name, counties="、".join(missing))


def stale_counties_refusal(unit_name, stale):
    """A city forwards what it accepted: the refusal naming each county whose records no
    longer match its accepted report (``stale``: [(county name, {added, removed, changed})]),
    or None."""
    if not stale:
        return None
    detail = "；".join(
        str(_l("%(county)s: %(changed)d changed, %(added)d added, %(removed)d removed",
               county=name, **counts)) for name, counts in stale)
    return _l("%(unit)s cannot report yet: records changed after the counties' reports were "
              "accepted (%(detail)s). Return those reports so the counties report again.",
              unit=unit_name, detail=detail)


# --- frozen parts of a record ----------------------------------------------------------------

#: How a report freezes a candidate's part rows as one text: fields of a row joined by
#: FIELD_SEP, rows by ROW_SEP (points/freeze.py builds it in SQL, report pages split it): the
#: ASCII unit and record separators, which no entered text contains.
FIELD_SEP, ROW_SEP = "\x1f", "\x1e"


def split_part(value):
    """The rows of a frozen part text, each a list of its fields."""
    return [row.split(FIELD_SEP) for row in (value or "").split(ROW_SEP) if row]
