"""The states of a candidate's record (报名信息审核状态): pure data, below every layer that reads
them. Which transitions move between them, and who may take them, is ``review.workflow``'s;
whether a record may change now is ``app.candidates.policy``'s."""
from flask_babel import lazy_gettext as _l

from ..codes import ADULT

DRAFT, CONFIRMED, REJECTED = "draft", "confirmed", "rejected"
SCHOOL_OK, COUNTY_OK, CITY_OK = "school_approved", "county_approved", "city_approved"
PROVINCE_OK = "province_approved"
STATE_LABELS = {
    DRAFT: _l("Draft"), CONFIRMED: _l("Confirmed by candidate"), REJECTED: _l("Rejected"),
    SCHOOL_OK: _l("Approved by school / point"), COUNTY_OK: _l("Approved by county"),
    CITY_OK: _l("Approved by city"), PROVINCE_OK: _l("Approved by province"),
}
APPROVED = (SCHOOL_OK, COUNTY_OK, CITY_OK, PROVINCE_OK)
#: 成人高考: the point's first review is the on-site confirmation (现场确认), and the candidate
#: is told so, not "approved by school" (an adult candidate has no school).
ADULT_STATE_LABELS = {**STATE_LABELS, SCHOOL_OK: _l("Confirmed on site")}


def state_label(state, exam_kind=None):
    """The label of ``state`` for a candidate of ``exam_kind`` (codes.EXAM_KINDS)."""
    labels = ADULT_STATE_LABELS if exam_kind == ADULT else STATE_LABELS
    return labels.get(state, state)
#: States in which the candidate may still change the record on the self-service page.
OPEN_TO_CANDIDATE = (DRAFT, REJECTED)


def confirmed_by_candidate(state):
    """Whether the candidate has handed the record over (confirmed, and maybe reviewed since):
    from then on its forms are printed, and it no longer changes on the self-service page."""
    return state not in OPEN_TO_CANDIDATE


def is_rejected(state):
    """A reviewer sent it back with a reason (a record or a qualification application)."""
    return state == REJECTED
