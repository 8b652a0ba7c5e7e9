"""The tables of rules.py applied to rows: proposing, deciding on and setting up points, and
submitting, accepting and returning data reports. Every function raises TransitionRefused or
PhaseClosed with a translated message and otherwise changes the session (the caller commits;
a concurrent change surfaces as StaleDataError through the version columns)."""
import datetime as dt
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..dashboard import PROGRESS_STATES, progress
from ..extensions import db
from ..jurisdiction import CITY, COUNTY, POINT, PROVINCE, Node
from ..jurisdiction_views import check_new_node, check_point_fields
from ..phases.rules import check_open
from ..review.workflow import TransitionRefused, check_transition
from .models import DataSubmission, PointProposal
from .rules import (ACCEPTED, APPROVED, CITY_ADMIN, LIVE, PENDING, PROPOSAL_STATES,
                    PROPOSAL_TRANSITIONS, PROPOSE, PROPOSED, REJECTED, RETURNED,
                    SUBMISSION_STATES, SUBMISSION_TRANSITIONS, SUBMIT, SUBMITTED, WITHDRAW,
                    adult_fields_refusal, level_refusal, missing_counties_refusal,
                    unreviewed_refusal)


def _refuse(message):
    if message is not None:
        raise TransitionRefused(message)


def _levels(proposal):
    return [c for c in (proposal.serves_levels or "").split(",") if c]


# --- point proposals -------------------------------------------------------------------------

def code_refusal(code, county, proposal_id=None):
    """Why ``code`` cannot be proposed under ``county``: its format, a unit using it already,
    or another pending proposal holding it (not named: it may be another county's); None
    when it is free."""
    # The unit rules (format, uniqueness among units) are check_new_node's; a stand-in keeps
    # a real Node out of the session.
    try:
        check_new_node(SimpleNamespace(parent=county, kind=POINT, code=code), county)
    except ValueError as exc:
        return exc.args[0]
    with db.session.no_autoflush:
        taken = db.session.execute(select(PointProposal.id).where(
            PointProposal.code == code.strip(), PointProposal.state.in_(PENDING),
            PointProposal.id != (proposal_id or 0))).first()
    if taken:
        return _l("The code %(code)s is already proposed for another point awaiting approval.",
                  code=code.strip())
    return None


def propose(proposal, user, now=None):
    """A county's new or rewritten proposal (the add and edit forms): role, unit, state, the
    ``point_setup`` window, the code and the 成人高考-only fields; it goes (back) to the city."""
    step, _ = check_transition(proposal, PROPOSAL_TRANSITIONS, PROPOSAL_STATES, PROPOSE, user)
    county = proposal.node
    _refuse(level_refusal(step, county.kind, county.name))
    exam = proposal.exam
    if exam is None:
        raise TransitionRefused(_l("Choose the exam."))
    check_open(step.activity, exam.id, node=county)
    proposal.code = (proposal.code or "").strip()
    _refuse(code_refusal(proposal.code, county, proposal.id))
    _refuse(adult_fields_refusal(exam.kind, _levels(proposal), proposal.for_minors,
                                 proposal.for_medical))
    proposal.state, proposal.reject_reason = PROPOSED, None
    proposal.proposed_by_id, proposal.proposed_at = user.id, now or dt.datetime.now()
    # A new round: the earlier decisions are in the audit log.
    proposal.city_by_id = proposal.city_at = proposal.province_by_id = proposal.province_at = None


def decide_proposal(proposal, action, user, reason=None, expected_version=None, now=None,
                    **_signoff):
    """Withdraw, agree, reject or approve one proposal loaded through the caller's scope.

    (``_signoff``: the review screens' sign-off fields, which these steps do not use.)"""
    step, reason = check_transition(proposal, PROPOSAL_TRANSITIONS, PROPOSAL_STATES, action,
                                    user, reason, expected_version=expected_version)
    _refuse(level_refusal(step, proposal.node.kind, proposal.node.name))
    now = now or dt.datetime.now()
    if action == WITHDRAW:
        db.session.delete(proposal)
        return
    if step.to_state != REJECTED:
        # A unit may have taken the code since it was proposed.
        _refuse(code_refusal(proposal.code, proposal.node, proposal.id))
    if step.to_state == APPROVED:
        proposal.point = create_point(proposal, user)
    proposal.state = step.to_state
    proposal.reject_reason = reason if step.to_state == REJECTED else None
    if CITY_ADMIN in step.roles:
        proposal.city_by_id, proposal.city_at = user.id, now
    else:
        proposal.province_by_id, proposal.province_at = user.id, now


def create_point(proposal, user):
    """The point unit the province's approval sets up, under the proposing county."""
    point = Node(code=proposal.code, name=proposal.name, kind=POINT, parent=proposal.node,
                 address=proposal.address, contact=proposal.contact, phone=proposal.phone,
                 serves_levels=proposal.serves_levels, for_minors=proposal.for_minors,
                 for_medical=proposal.for_medical, active=True)
    try:
        check_new_node(point, user.node)
        check_point_fields(point)
    except ValueError as exc:
        raise TransitionRefused(exc.args[0]) from None
    db.session.add(point)
    return point


# --- data submissions ------------------------------------------------------------------------

def reporting_units(node):
    """The units whose reports ``node`` receives: a city's active counties, the province's
    cities (none for a county), in code order."""
    kind = {CITY: COUNTY, PROVINCE: CITY}.get(node.kind)
    if kind is None:
        return []
    return db.session.execute(select(Node).where(
        Node.parent_id == node.id, Node.kind == kind, Node.active.is_(True)).order_by(Node.code)
    ).scalars().all()


def latest_submissions(exam_id, node_ids):
    """{node id: its latest submission of the exam} for the given units."""
    if not node_ids:
        return {}
    rows = db.session.execute(select(DataSubmission).where(
        DataSubmission.exam_id == exam_id, DataSubmission.node_id.in_(node_ids))
        .order_by(DataSubmission.submitted_at, DataSubmission.id)).scalars()
    return {s.node_id: s for s in rows}


def check_submit(unit, exam, user, counted=None):
    """Raise unless ``user`` may report ``unit``'s data of ``exam`` now: role and unit, no
    standing report, the ``bonus_entry`` window, for a city every county accepted, and no
    record left unreviewed. ``counted`` is progress(unit, exam.id) when already computed."""
    subject = SimpleNamespace(state=None, version=None, name=unit.name)
    step, _ = check_transition(subject, SUBMISSION_TRANSITIONS, SUBMISSION_STATES, SUBMIT, user)
    if unit.kind not in (COUNTY, CITY):
        raise TransitionRefused(_l("Only a county or a city reports data."))
    standing = db.session.execute(select(DataSubmission).where(
        DataSubmission.exam_id == exam.id, DataSubmission.node_id == unit.id,
        DataSubmission.state.in_(LIVE))).scalars().first()
    if standing is not None:
        raise TransitionRefused(_l(
            "%(unit)s reported this exam's data on %(at)s (“%(state)s”); it can report again "
            "only if that report is returned.", unit=unit.name,
            at=standing.submitted_at.strftime("%Y-%m-%d %H:%M"), state=standing.state_label))
    check_open(step.activity, exam.id, node=unit)
    if unit.kind == CITY:
        counties = reporting_units(unit)
        latest = latest_submissions(exam.id, [c.id for c in counties])
        _refuse(missing_counties_refusal(unit.name, [
            c.name for c in counties if getattr(latest.get(c.id), "state", None) != ACCEPTED]))
    _, totals = counted or progress(unit, exam.id)
    _refuse(unreviewed_refusal(unit.name, totals))


def snapshot(counted):
    """The counts of progress(…) as stored with a submission (plain JSON)."""
    rows, totals = counted
    keys = ("total", *PROGRESS_STATES, "locked", "photo")
    return {"totals": {k: totals[k] for k in keys},
            "units": [{"code": r["unit"].code, "name": r["unit"].name,
                       **{k: r.get(k, 0) for k in keys}} for r in rows]}


def submit(unit, exam, user, now=None):
    """Record ``unit``'s report of ``exam`` to the level above; returns the new submission."""
    counted = progress(unit, exam.id)
    check_submit(unit, exam, user, counted)
    submission = DataSubmission(node=unit, exam=exam, state=SUBMITTED,
                                snapshot=snapshot(counted), submitted_by_id=user.id,
                                submitted_at=now or dt.datetime.now())
    db.session.add(submission)
    return submission


def decide_submission(submission, action, user, reason=None, expected_version=None, now=None,
                      **_signoff):
    """Accept or return one submission loaded through the caller's scope (``_signoff``: see
    decide_proposal)."""
    step, reason = check_transition(submission, SUBMISSION_TRANSITIONS, SUBMISSION_STATES,
                                    action, user, reason, expected_version=expected_version)
    unit = submission.node
    _refuse(level_refusal(step, unit.kind, unit.name))
    if step.to_state == RETURNED and submission.state == ACCEPTED and unit.parent is not None:
        # The city's own report counts this county's data: the province returns that first.
        above = db.session.execute(select(DataSubmission).where(
            DataSubmission.exam_id == submission.exam_id,
            DataSubmission.node_id == unit.parent_id,
            DataSubmission.state.in_(LIVE))).scalars().first()
        if above is not None:
            raise TransitionRefused(_l(
                "%(city)s has reported this exam to the province (“%(state)s”); that report "
                "must be returned before %(unit)s's can be.", city=unit.parent.name,
                state=above.state_label, unit=unit.name))
    submission.state = step.to_state
    submission.return_reason = reason if step.to_state == RETURNED else None
    submission.decided_by_id, submission.decided_at = user.id, now or dt.datetime.now()
