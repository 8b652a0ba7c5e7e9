"""体检 results: 校对 and 确认 of what the county's clerk entered, and the reports of confirmed
results upward (county → city → province), as ``app.transitions`` tables.

Results: entered → proofread (校对, by a county user other than the one who last entered or
changed them) → confirmed (确认, the county administrator or reviewer). Any change of the
results sends a proofread record back to entered; a confirmed record is changed only after the
county administrator reopens it with a reason. Every step is a column change of the audited
record, so the audit trail has who and when.

Reports: a county reports once none of its results of the exam is left unconfirmed; a city once
every active county has a standing report that nothing changed since. A later report of the
same unit supersedes the standing one; the level above may return a report with a reason (a
county's only after the city's own report above it is returned). A result changed after its
county's standing report is "changed since reported".
"""
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from .. import transitions
from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import CITY, COUNTY, PROVINCE, Node, subtree_ids
from ..security import CITY_ADMIN, COUNTY_ADMIN, COUNTY_REVIEWER, EXAM_CLERK, PROVINCE_ADMIN
from ..transitions import Transition, TransitionRefused
from . import archive
from .models import PhysicalExam, PhysicalReport

# --- results -----------------------------------------------------------------------------

ENTERED, PROOFREAD, CONFIRMED = "entered", "proofread", "confirmed"
STATES = {ENTERED: _l("Entered, not proofread"), PROOFREAD: _l("Proofread, not confirmed"),
          CONFIRMED: _l("Confirmed")}
UNCONFIRMED = (ENTERED, PROOFREAD)
CHANGE, PROOFREAD_STEP, CONFIRM, REOPEN, DELETE, PRINT = (
    "change", "proofread", "confirm", "reopen", "delete", "print_for_signature")


def _county_user(move):
    node = getattr(move.user, "node", None)
    if node is None or node.kind != COUNTY:
        raise TransitionRefused(_l("Only a user of the candidate's county proofreads and "
                                   "confirms physical results."))


def _second_person(move):
    if move.subject.changed_by_id is not None and move.subject.changed_by_id == move.user.id:
        raise TransitionRefused(_l(
            "%(name)s: you entered or last changed these results; another person of the "
            "county must proofread them.", name=move.subject.candidate.name))


def _not_confirmed(move):
    if move.before == CONFIRMED:
        raise TransitionRefused(_l(
            "The results of %(name)s are confirmed: the county administrator must reopen them "
            "(with a reason) before they can be changed.", name=move.subject.candidate.name))


def _stamp_change(move):
    record = move.subject
    record.changed_by_id, record.changed_at = move.user.id, move.now
    record.proofread_by_id = record.proofread_at = None
    record.confirmed_by_id = record.confirmed_at = None


def _stamp_proofread(move):
    move.subject.proofread_by_id, move.subject.proofread_at = move.user.id, move.now


def _stamp_confirmed(move):
    move.subject.confirmed_by_id, move.subject.confirmed_at = move.user.id, move.now


def _reopened(move):
    record = move.subject
    record.reopen_reason = move.reason[:200]
    record.proofread_by_id = record.proofread_at = None
    record.confirmed_by_id = record.confirmed_at = None
    # A 体检表 signed before no longer verifies as current (views.touch does the same).
    record.candidate.changed_on = move.now


RESULT_TRANSITIONS = {t.action: t for t in (
    # The add and edit forms (roles: the screen's permission decides).
    Transition(CHANGE, _l("Enter or change the results"), (None, ENTERED, PROOFREAD, CONFIRMED),
               ENTERED, None, guards=(_not_confirmed,), effects=(_stamp_change,)),
    Transition(DELETE, _l("Delete the results"), (ENTERED, PROOFREAD), None, None),
    Transition(PROOFREAD_STEP, _l("Proofread"), (ENTERED,), PROOFREAD,
               (EXAM_CLERK, COUNTY_ADMIN, COUNTY_REVIEWER), guards=(_county_user, _second_person),
               effects=(_stamp_proofread,)),
    Transition(CONFIRM, _l("Confirm"), (PROOFREAD,), CONFIRMED, (COUNTY_ADMIN, COUNTY_REVIEWER),
               guards=(_county_user,), effects=(_stamp_confirmed,)),
    Transition(REOPEN, _l("Reopen for correction"), (CONFIRMED,), ENTERED, (COUNTY_ADMIN,),
               needs_reason=True, guards=(_county_user,), effects=(_reopened,)),
    # Printing the 体检表 for the candidate's signature: confirmed results only.
    Transition(PRINT, _l("Print for the candidate's signature"), (CONFIRMED,), None, None),
)}
#: the steps of the list actions and the record's page.
RESULT_ACTIONS = {a: RESULT_TRANSITIONS[a] for a in (PROOFREAD_STEP, CONFIRM, REOPEN)}


def check_result(record, action, user, reason=None, now=None):
    """The checked Move of ``action`` on ``record`` (raises TransitionRefused)."""
    return transitions.check(record, RESULT_TRANSITIONS[action], user, STATES, reason, now=now,
                             name=record.candidate.name if record.candidate else "")


def run_result(record, action, user, reason=None, now=None):
    """Check and apply ``action``; returns the Move (``before``: the state it left)."""
    return transitions.apply(check_result(record, action, user, reason, now))


def record_changed(record, user, was_new):
    """The add or edit form changed the results: back to entered (refused when confirmed).
    Returns what to tell the user when that undid a proofreading, else None."""
    if was_new:
        # transitions.check reads the current state: a new record has none yet.
        record.state = None
    move = run_result(record, CHANGE, user)
    if move.before != PROOFREAD:
        return None
    return _l("The results of %(name)s had been proofread; changed, they are back to "
              "“%(state)s” and must be proofread again.", name=record.candidate.name,
              state=STATES[ENTERED])


def may_print_for_signature(record):
    """Raise TransitionRefused unless ``record``'s results may be printed for signing."""
    transitions.check(record, RESULT_TRANSITIONS[PRINT], None, STATES,
                      name=record.candidate.name if record.candidate else "")


def archive_states(candidate_ids):
    """{candidate id: archive state} of the physical part (archive.py), one query."""
    rows = select(PhysicalExam.candidate_id, PhysicalExam.state).where(
        PhysicalExam.candidate_id.in_(candidate_ids))
    kind = {ENTERED: archive.ENTERED, PROOFREAD: archive.ENTERED, CONFIRMED: archive.CONFIRMED}
    return {cid: kind.get(state, archive.ENTERED)
            for cid, state in db.session.execute(rows).all()}


# --- reports upward ------------------------------------------------------------------------

REPORTED, RETURNED, SUPERSEDED = "reported", "returned", "superseded"
REPORT_STATES = {REPORTED: _l("Reported"), RETURNED: _l("Returned"),
                 SUPERSEDED: _l("Superseded by a later report")}
REPORT, RETURN = "report", "return"


def _in_unit(stmt, node, exam_id):
    return stmt.join(Candidate, PhysicalExam.candidate_id == Candidate.id).where(
        Candidate.exam_id == exam_id, Candidate.node_id.in_(subtree_ids(node.path)))


def unit_results(node, exam_id):
    """The select of the physical records of ``exam_id``'s candidates under ``node``."""
    return _in_unit(select(PhysicalExam), node, exam_id)


def unit_counts(node, exam_id):
    """{state: n} of the unit's physical records of the exam, and {conclusion: n} of the
    confirmed ones: ``(states, conclusions)``."""
    states = dict(db.session.execute(_in_unit(
        select(PhysicalExam.state, func.count()), node, exam_id).group_by(PhysicalExam.state)
    ).all())
    conclusions = dict(db.session.execute(_in_unit(
        select(PhysicalExam.conclusion, func.count()), node, exam_id)
        .where(PhysicalExam.state == CONFIRMED).group_by(PhysicalExam.conclusion)).all())
    return {s: states.get(s, 0) for s in STATES}, conclusions


def receiving_units(node):
    """The units whose reports ``node`` receives: a city's active counties, the province's
    cities, in code order."""
    kind = {CITY: COUNTY, PROVINCE: CITY}.get(node.kind)
    if kind is None:
        return []
    return db.session.execute(select(Node).where(
        Node.parent_id == node.id, Node.kind == kind, Node.active.is_(True)).order_by(Node.code)
    ).scalars().all()


def standing_reports(exam_id, node_ids):
    """{node id: its standing (reported) report of the exam}."""
    if not node_ids:
        return {}
    rows = db.session.execute(select(PhysicalReport).where(
        PhysicalReport.exam_id == exam_id, PhysicalReport.node_id.in_(node_ids),
        PhysicalReport.state == REPORTED)).scalars()
    return {r.node_id: r for r in rows}


def changed_since(report):
    """The select of the county's records changed since ``report`` was made: results entered
    or changed after it, or no longer confirmed (reopened)."""
    return unit_results(report.node, report.exam_id).where(or_(
        PhysicalExam.changed_at > report.submitted_at, PhysicalExam.state != CONFIRMED))


def changed_count(report):
    """``(changed, removed)``: how many of the unit's records changed since ``report`` and how
    many confirmed records it has fewer than it reported (deleted since)."""
    changed = db.session.execute(select(func.count()).select_from(
        changed_since(report).subquery())).scalar()
    now = unit_counts(report.node, report.exam_id)[0][CONFIRMED]
    return changed, max(report.confirmed - now, 0)


def changed_after_report(record):
    """The standing report of ``record``'s county this record changed after, or None."""
    candidate = record.candidate
    county = candidate.node
    while county is not None and county.kind != COUNTY:
        county = county.parent
    if county is None or candidate.exam_id is None or record.changed_at is None:
        return None
    report = standing_reports(candidate.exam_id, [county.id]).get(county.id)
    if report is not None and record.changed_at > report.submitted_at:
        return report
    return None


def _reporting_level(move):
    if move.subject.node.kind not in (COUNTY, CITY):
        raise TransitionRefused(_l("Only a county or a city reports physical results."))


def _all_confirmed(move):
    report = move.subject
    if report.node.kind != COUNTY:
        return
    states, _conclusions = _counted(move)
    left = sum(states[s] for s in UNCONFIRMED)
    if left:
        raise TransitionRefused(_l(
            "%(unit)s still has %(n)d physical results that are not confirmed (%(entered)d "
            "entered, %(proofread)d proofread); confirm them before reporting.",
            unit=report.node.name, n=left, entered=states[ENTERED],
            proofread=states[PROOFREAD]))


def _counties_reported(move):
    report = move.subject
    if report.node.kind != CITY:
        return
    counties = receiving_units(report.node)
    standing = standing_reports(report.exam_id, [c.id for c in counties])
    missing = [c.name for c in counties if c.id not in standing]
    if missing:
        raise TransitionRefused(_l("%(unit)s can report once every county has reported: "
                                   "not yet reported by %(units)s.", unit=report.node.name,
                                   units="、".join(missing)))
    stale = [c.name for c in counties if any(changed_count(standing[c.id]))]
    if stale:
        raise TransitionRefused(_l(
            "Results changed after these counties reported: %(units)s. They must report "
            "again before %(unit)s reports.", units="、".join(stale), unit=report.node.name))
    move.context["below"] = [standing[c.id] for c in counties]


def _not_current(move):
    """Nothing to report when the standing report still stands for every result."""
    report = move.subject
    standing = standing_reports(report.exam_id, [report.node_id]).get(report.node_id)
    if standing is not None and not any(changed_count(standing)):
        raise TransitionRefused(_l(
            "%(unit)s reported these results on %(at)s and nothing has changed since.",
            unit=report.node.name, at=standing.submitted_at.strftime("%Y-%m-%d %H:%M")))
    move.context["standing"] = standing


def _counted(move):
    if "counted" not in move.context:
        report = move.subject
        move.context["counted"] = unit_counts(report.node, report.exam_id)
    return move.context["counted"]


def _store(move):
    report = move.subject
    states, conclusions = _counted(move)
    report.confirmed = states[CONFIRMED]
    snapshot = {"states": states, "conclusions": conclusions}
    if "below" in move.context:
        snapshot["units"] = [{"code": r.node.code, "name": r.node.name, "report_id": r.id,
                              "confirmed": r.confirmed,
                              "submitted_at": r.submitted_at.strftime("%Y-%m-%d %H:%M")}
                             for r in move.context["below"]]
    report.snapshot = snapshot
    report.submitted_by_id, report.submitted_at = move.user.id, move.now
    standing = move.context.get("standing")
    if standing is not None:
        standing.state = SUPERSEDED
    db.session.add(report)


def _from_below(move):
    """The level right above the reporting unit decides on its report."""
    node = getattr(move.user, "node", None)
    if node is None or move.subject.node.parent_id != node.id:
        raise TransitionRefused(_l("Only the level right above %(unit)s may return its report.",
                                   unit=move.subject.node.name))


def _not_counted_above(move):
    report = move.subject
    if report.node.kind != COUNTY:
        return
    above = standing_reports(report.exam_id, [report.node.parent_id]).get(report.node.parent_id)
    if above is not None:
        raise TransitionRefused(_l(
            "%(city)s has reported these results to the province; that report must be "
            "returned before %(unit)s's can be.", city=report.node.parent.name,
            unit=report.node.name))


def _decided(move):
    report = move.subject
    report.decided_by_id, report.decided_at = move.user.id, move.now
    report.return_reason = move.reason[:500]


REPORT_TRANSITIONS = {t.action: t for t in (
    Transition(REPORT, _l("Report confirmed physical results"), (None,), REPORTED,
               (COUNTY_ADMIN, CITY_ADMIN),
               guards=(_reporting_level, _all_confirmed, _counties_reported, _not_current),
               effects=(_store,)),
    Transition(RETURN, _l("Return the report"), (REPORTED,), RETURNED,
               (CITY_ADMIN, PROVINCE_ADMIN), needs_reason=True,
               guards=(_from_below, _not_counted_above), effects=(_decided,)),
)}


def new_report(unit, exam, user, now=None):
    """The checked Move of ``unit``'s new report of ``exam`` (the row is not in the session)."""
    report = PhysicalReport(node=unit, node_id=unit.id, exam=exam, exam_id=exam.id, state=None)
    return transitions.check(report, REPORT_TRANSITIONS[REPORT], user, REPORT_STATES, now=now,
                             name=unit.name)


def report(unit, exam, user, now=None):
    """Record ``unit``'s report of ``exam``; returns it."""
    return transitions.apply(new_report(unit, exam, user, now)).subject


def return_refusal(report_row, user):
    """Why ``user`` may not return ``report_row`` now, or None."""
    try:
        transitions.check(report_row, REPORT_TRANSITIONS[RETURN], user, REPORT_STATES, "-")
    except TransitionRefused as exc:
        return str(exc)
    return None


def return_report(report_row, user, reason, now=None):
    transitions.apply(transitions.check(report_row, REPORT_TRANSITIONS[RETURN], user,
                                        REPORT_STATES, reason, now=now))



# --- the archive's part 2 (archive.py) ---------------------------------------------------------

def _link(candidate):
    return url_for("PhysicalExamView.list", _flt_0_candidate=candidate.id)


def _summary(candidate):
    record = db.session.execute(select(PhysicalExam).where(
        PhysicalExam.candidate_id == candidate.id)).scalar_one_or_none()
    if record is None:
        return None
    state = STATES.get(record.state, record.state)
    when = record.confirmed_at or record.changed_at
    return f"{state} {when:%Y-%m-%d}" if when else str(state)


def _state_sql(cid):
    """``archive_states`` as a SQL expression for the completeness report (a row is ENTERED
    whatever its state, CONFIRMED once confirmed)."""
    row = PhysicalExam.candidate_id == cid
    return archive.state_case(
        (select(PhysicalExam.id).where(row, PhysicalExam.state == CONFIRMED).exists(),
         archive.CONFIRMED),
        (select(PhysicalExam.id).where(row).exists(), archive.ENTERED))


archive.part("physical", states=archive_states, link=_link, summary=_summary,
             state_sql=_state_sql)
