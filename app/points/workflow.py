"""The transition tables of point proposals and data reports, with the guards and effects that
read and write rows: proposing, deciding on and setting up points, and submitting, accepting
and returning data reports. Every function raises a Refused (TransitionRefused, PhaseClosed…)
with a translated message and otherwise changes the session (the caller commits; a
concurrent change surfaces as StaleDataError through the version columns)."""
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import transitions
from ..extensions import db
from ..jurisdiction import CITY, COUNTY, POINT, PROVINCE, Node, check_new_node, check_point_fields
from ..phases.rules import check_open
from ..progress import PROGRESS_STATES, progress
from ..refusals import Refused
from ..security import CITY_ADMIN, COUNTY_ADMIN, PROVINCE_ADMIN
from ..transitions import Transition, TransitionRefused
from . import freeze
from .models import DataSubmission, PointProposal
from .rules import (ACCEPTED, APPROVED, CITY_APPROVED, LIVE, PENDING, PROPOSAL_STATES, PROPOSE,
                    PROPOSED, REJECTED, RETURNED, SUBMISSION_STATES, SUBMIT, SUBMITTED, WITHDRAW,
                    SentBy, adult_fields_refusal, missing_counties_refusal, stale_counties_refusal,
                    unreviewed_refusal)


def _refuse(message):
    if message is not None:
        raise TransitionRefused(message)


def _levels(proposal):
    return [c for c in (proposal.serves_levels or "").split(",") if c]


def _node_refusal(node, manager_node):
    """check_new_node's refusal of ``node``, or None."""
    try:
        check_new_node(node, manager_node)
    except Refused as exc:
        return str(exc)
    return None


# --- point proposals -------------------------------------------------------------------------

def code_refusal(code, county, proposal_id=None):
    """Why ``code`` cannot be proposed under ``county``: its format, a unit using it already,
    or another pending proposal holding it (not named: it may be another county's); None
    when it is free."""
    # The unit rules (format, uniqueness among units) are check_new_node's; a stand-in keeps
    # a real Node out of the session.
    refusal = _node_refusal(SimpleNamespace(parent=county, kind=POINT, code=code), county)
    if refusal is not None:
        return refusal
    with db.session.no_autoflush:
        taken = db.session.execute(select(PointProposal.id).where(
            PointProposal.code == code.strip(), PointProposal.state.in_(PENDING),
            PointProposal.id != (proposal_id or 0))).first()
    if taken:
        return _l("The code %(code)s is already proposed for another point awaiting approval.",
                  code=code.strip())
    return None


def _exam_chosen(move):
    if move.subject.exam is None:
        raise TransitionRefused(_l("Choose the exam."))


def _window_open(move):
    """The step's phase window, for the subject's exam and unit."""
    check_open(move.transition.activity, move.subject.exam.id, node=move.subject.node)


def _code_free(move):
    """The code is free; on a decision too: a unit may have taken it since it was proposed."""
    proposal = move.subject
    _refuse(code_refusal(proposal.code, proposal.node, proposal.id))


def _adult_fields_fit(move):
    proposal = move.subject
    _refuse(adult_fields_refusal(proposal.exam.kind, _levels(proposal), proposal.for_minors,
                                 proposal.for_medical))


def _new_round(move):
    """A (re)proposal goes to the city; the earlier decisions are in the audit log."""
    proposal = move.subject
    proposal.reject_reason = None
    proposal.proposed_by_id, proposal.proposed_at = move.user.id, move.now
    proposal.city_by_id = proposal.city_at = proposal.province_by_id = proposal.province_at = None


def _delete(move):
    db.session.delete(move.subject)


def _reject_reason(move):
    move.subject.reject_reason = move.reason if move.transition.to_state == REJECTED else None


def _decided_by_city(move):
    move.subject.city_by_id, move.subject.city_at = move.user.id, move.now


def _decided_by_province(move):
    move.subject.province_by_id, move.subject.province_at = move.user.id, move.now


def _set_up_point(move):
    """The province's approval sets the point unit up (refused if it cannot be one)."""
    move.subject.point = create_point(move.subject, move.user)


_FROM_COUNTY = SentBy(COUNTY)

PROPOSAL_TRANSITIONS = {t.action: t for t in (
    # The add and edit forms: a new proposal, or one rewritten while the city has not agreed
    # yet or after a rejection, goes (back) to the city.
    Transition(PROPOSE, _l("Propose a point"), (None, PROPOSED, REJECTED), PROPOSED,
               (COUNTY_ADMIN,), "point_setup",
               guards=(_FROM_COUNTY, _exam_chosen, _window_open, _code_free, _adult_fields_fit),
               effects=(_new_round,)),
    Transition(WITHDRAW, _l("Withdraw the proposal"), (PROPOSED, REJECTED), None,
               (COUNTY_ADMIN,), guards=(_FROM_COUNTY,), effects=(_delete,)),
    Transition("city_approve", _l("Agree to the point (city)"), (PROPOSED,), CITY_APPROVED,
               (CITY_ADMIN,), guards=(_FROM_COUNTY, _code_free),
               effects=(_reject_reason, _decided_by_city)),
    Transition("city_reject", _l("Reject the proposal (city)"), (PROPOSED,), REJECTED,
               (CITY_ADMIN,), needs_reason=True, guards=(_FROM_COUNTY,),
               effects=(_reject_reason, _decided_by_city)),
    Transition("province_approve", _l("Approve and set up the point (province)"),
               (CITY_APPROVED,), APPROVED, (PROVINCE_ADMIN,), guards=(_FROM_COUNTY, _code_free),
               effects=(_set_up_point, _reject_reason, _decided_by_province)),
    Transition("province_reject", _l("Reject the proposal (province)"), (CITY_APPROVED,),
               REJECTED, (PROVINCE_ADMIN,), needs_reason=True, guards=(_FROM_COUNTY,),
               effects=(_reject_reason, _decided_by_province)),
)}
#: What list actions offer: every step on an existing row (proposing is the form).
PROPOSAL_ACTIONS = {a: t for a, t in PROPOSAL_TRANSITIONS.items() if a != PROPOSE}


def propose(proposal, user, now=None):
    """A county's new or rewritten proposal (the add and edit forms): role, unit, state, the
    ``point_setup`` window, the code and the 成人高考-only fields; it goes (back) to the city."""
    proposal.code = (proposal.code or "").strip()
    transitions.apply(transitions.check(proposal, PROPOSAL_TRANSITIONS[PROPOSE], user,
                                        PROPOSAL_STATES, now=now))


def decide_proposal(proposal, action, user, reason=None, expected_version=None, now=None,
                    **_signoff):
    """Withdraw, agree, reject or approve one proposal loaded through the caller's scope.

    (``_signoff``: the review screens' sign-off fields, which these steps do not use.)"""
    transitions.apply(transitions.check(
        proposal, transitions.find(PROPOSAL_ACTIONS, action), user, PROPOSAL_STATES, reason,
        expected_version=expected_version, now=now))


def create_point(proposal, user):
    """The point unit the province's approval sets up, under the proposing county."""
    point = Node(code=proposal.code, name=proposal.name, kind=POINT, parent=proposal.node,
                 address=proposal.address, contact=proposal.contact, phone=proposal.phone,
                 serves_levels=proposal.serves_levels, for_minors=proposal.for_minors,
                 for_medical=proposal.for_medical, active=True)
    _refuse(_node_refusal(point, user.node))
    try:
        check_point_fields(point)
    except Refused as exc:
        raise TransitionRefused(str(exc)) from None
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


def _standing_report(exam_id, node_id):
    return db.session.execute(select(DataSubmission).where(
        DataSubmission.exam_id == exam_id, DataSubmission.node_id == node_id,
        DataSubmission.state.in_(LIVE))).scalars().first()


def _reporting_level(move):
    if move.subject.node.kind not in (COUNTY, CITY):
        raise TransitionRefused(_l("Only a county or a city reports data."))


def _none_standing(move):
    unit = move.subject.node
    standing = _standing_report(move.subject.exam.id, unit.id)
    if standing is not None:
        raise TransitionRefused(_l(
            "%(unit)s reported this exam's data on %(at)s (“%(state)s”); it can report again "
            "only if that report is returned.", unit=unit.name,
            at=standing.submitted_at.strftime("%Y-%m-%d %H:%M"), state=standing.state_label))


def _counties_accepted(move):
    """A city reports once every county's report of the exam is accepted."""
    unit = move.subject.node
    if unit.kind != CITY:
        return
    counties = reporting_units(unit)
    latest = latest_submissions(move.subject.exam.id, [c.id for c in counties])
    _refuse(missing_counties_refusal(unit.name, [
        c.name for c in counties if getattr(latest.get(c.id), "state", None) != ACCEPTED]))


def _counties_current(move):
    """A city forwards what it accepted: its report is refused while a county's records
    differ from that county's accepted report (changed, added or removed since), so the
    county reports them again first."""
    unit = move.subject.node
    if unit.kind != CITY:
        return
    counties = reporting_units(unit)
    latest = latest_submissions(move.subject.exam.id, [c.id for c in counties])
    stale = []
    for county in counties:
        counts = report_against_live(latest[county.id])
        if any(counts.values()):
            stale.append((county.name, counts))
    _refuse(stale_counties_refusal(unit.name, stale))


def report_against_live(report):
    """{added, removed, changed: n} of the report's unit's live records against what the
    report froze."""
    return freeze.diff_counts(freeze.frozen_records(report.id),
                              freeze.live_records(report.node, report.exam_id))


def _counted(move):
    """progress(unit, exam) once per move: the guard and the stored snapshot share it."""
    if "counted" not in move.context:
        move.context["counted"] = progress(move.subject.node, move.subject.exam.id)
    return move.context["counted"]


def _all_reviewed(move):
    _refuse(unreviewed_refusal(move.subject.node.name, _counted(move)[1]))


def _not_counted_above(move):
    """A returned report must not stay counted in the city's own report to the province: the
    province returns that first."""
    submission, unit = move.subject, move.subject.node
    if submission.state != ACCEPTED or unit.parent is None:
        return
    above = _standing_report(submission.exam_id, unit.parent_id)
    if above is not None:
        raise TransitionRefused(_l(
            "%(city)s has reported this exam to the province (“%(state)s”); that report "
            "must be returned before %(unit)s's can be.", city=unit.parent.name,
            state=above.state_label, unit=unit.name))


def previous_accepted(node_id, exam_id):
    """The unit's latest report of the exam that its receiver accepted (and may have
    returned since), or None."""
    return db.session.execute(select(DataSubmission).where(
        DataSubmission.node_id == node_id, DataSubmission.exam_id == exam_id,
        DataSubmission.accepted_at.is_not(None)).order_by(DataSubmission.id.desc())
    ).scalars().first()


def _store_report(move):
    """The counts, the diff base and the frozen records (one INSERT … SELECT)."""
    submission = move.subject
    submission.snapshot = snapshot(_counted(move))
    submission.submitted_by_id, submission.submitted_at = move.user.id, move.now
    submission.base = previous_accepted(submission.node.id, submission.exam.id)
    db.session.add(submission)
    db.session.flush()
    freeze.freeze(submission)


def _return_reason(move):
    move.subject.return_reason = move.reason if move.transition.to_state == RETURNED else None


def _decided(move):
    move.subject.decided_by_id, move.subject.decided_at = move.user.id, move.now


def _accepted(move):
    move.subject.accepted_at = move.now


_DECIDED = (_return_reason, _decided)

SUBMISSION_TRANSITIONS = {t.action: t for t in (
    Transition(SUBMIT, _l("Submit data"), (None,), SUBMITTED, (COUNTY_ADMIN, CITY_ADMIN),
               "bonus_entry", guards=(_reporting_level, _none_standing, _window_open,
                                      _counties_accepted, _counties_current,
                                      _all_reviewed),
               effects=(_store_report,)),
    Transition("city_accept", _l("Accept (city)"), (SUBMITTED,), ACCEPTED, (CITY_ADMIN,),
               guards=(_FROM_COUNTY,), effects=(*_DECIDED, _accepted)),
    Transition("city_return", _l("Return (city)"), (SUBMITTED, ACCEPTED), RETURNED,
               (CITY_ADMIN,), needs_reason=True, guards=(_FROM_COUNTY, _not_counted_above),
               effects=_DECIDED),
    Transition("province_accept", _l("Accept (province)"), (SUBMITTED,), ACCEPTED,
               (PROVINCE_ADMIN,), guards=(SentBy(CITY),), effects=(*_DECIDED, _accepted)),
    Transition("province_return", _l("Return (province)"), (SUBMITTED, ACCEPTED), RETURNED,
               (PROVINCE_ADMIN,), needs_reason=True, guards=(SentBy(CITY), _not_counted_above),
               effects=_DECIDED),
)}
SUBMISSION_ACTIONS = {a: t for a, t in SUBMISSION_TRANSITIONS.items() if a != SUBMIT}


def _new_report(unit, exam, user, counted=None, now=None):
    """The check of a new report of ``unit``'s data of ``exam`` (a row not in the session)."""
    report = DataSubmission(node=unit, exam=exam)
    return transitions.check(report, SUBMISSION_TRANSITIONS[SUBMIT], user, SUBMISSION_STATES,
                             now=now, context={} if counted is None else {"counted": counted})


def check_submit(unit, exam, user, counted=None):
    """Raise unless ``user`` may report ``unit``'s data of ``exam`` now: role and unit, no
    standing report, the ``bonus_entry`` window, for a city every county accepted, and no
    record left unreviewed. ``counted`` is progress(unit, exam.id) when already computed."""
    _new_report(unit, exam, user, counted)


def snapshot(counted):
    """The counts of progress(…) as stored with a submission (plain JSON)."""
    rows, totals = counted
    keys = ("total", *PROGRESS_STATES, "locked", "photo")
    return {"totals": {k: totals[k] for k in keys},
            "units": [{"code": r["unit"].code, "name": r["unit"].name,
                       **{k: r.get(k, 0) for k in keys}} for r in rows]}


def submit(unit, exam, user, now=None):
    """Record ``unit``'s report of ``exam`` to the level above; returns the new submission."""
    return transitions.apply(_new_report(unit, exam, user, now=now)).subject


def decide_submission(submission, action, user, reason=None, expected_version=None, now=None,
                      **_signoff):
    """Accept or return one submission loaded through the caller's scope (``_signoff``: see
    decide_proposal)."""
    transitions.apply(transitions.check(
        submission, transitions.find(SUBMISSION_ACTIONS, action), user, SUBMISSION_STATES,
        reason, expected_version=expected_version, now=now))


def covers(report):
    """Whether ``report`` stands for its records: it stands or was accepted (a report returned
    before acceptance covers nothing). A record changed since the latest report covering it
    is "changed since reported" until a newer report covers it."""
    return report.state in LIVE or report.accepted_at is not None


def reported_status(records):
    """[(record, changed)] for a candidate's frozen ``records`` (latest report first):
    ``changed`` is True or False for the latest covering report, None for the others."""
    result, seen = [], False
    for record in records:
        if covers(record.report) and not seen:
            seen = True
            result.append((record, record.candidate_id in freeze.changed_since(
                record.report, [record.candidate_id])))
        else:
            result.append((record, None))
    return result
