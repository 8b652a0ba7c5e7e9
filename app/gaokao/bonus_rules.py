"""The rules of the 高考 优惠 and 专项 qualifications (seed 002 §三.3–4, §四.3–4): one table of
:class:`app.transitions.Transition` per part, the checks of an uploaded scan, the points, and
the archive parts "bonus" and "special_plan".

民审 (MINORITY): the candidate prints the 民审表 (/me/), has it checked, hands it to the
county: the county records it with its scan (``record``) → the city collects it
(``collect``) → the province approves with the points, or rejects with a reason.

Other 加分 / 降分 policies (POLICY): the city enters the policy, points and evidence
(``enter``) → the province approves or rejects. Only the province approves.

专项 (SPECIAL): the county records the 资格审核表 with its scan (``record``) → county review →
city review → province review, each approving or rejecting with a reason.

A rejected claim is decided (the candidate has no such qualification); the county (city for
POLICY) may record it again with new evidence, which starts the procedure over. A candidate of
a school directly under a city (no county above it) has its county steps taken by the city.
"""
import uuid

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import codes as candidate_codes
from .. import filestore, scans, transitions
from ..extensions import db
from ..jurisdiction import CITY, COUNTY
from ..phases.rules import check_open_for
from ..refusals import BadInput, NotAllowed
from ..security import (CITY_ADMIN, CITY_REVIEWER, COUNTY_ADMIN, COUNTY_REVIEWER,
                        PROVINCE_ADMIN)
from ..transitions import Transition, TransitionRefused
from . import archive, bonus_codes
from .bonus_codes import MINORITY, POLICY, SPECIAL
from .bonus_models import (APPROVED, CITY_OK, COLLECTED, COUNTY_OK, DECIDED, ENTERED, REJECTED,
                           STATE_LABELS, SUBMITTED, BonusClaim)
from .rules import check_gaokao

#: the file-store folder of the scans (民审表, 优惠资格审查表 evidence, 资格审核表).
SCANS = "gaokao-scans"
# --- scans ------------------------------------------------------------------------------------
# One rule for every uploaded scan (app/scans.py): PDF or JPEG by content, SCAN_MAX_BYTES.
scan_limit = scans.scan_limit


def read_scan(upload, required=True):
    """``(bytes, mimetype, extension, filename)`` of an uploaded scan, or None when none was
    sent and ``required`` is false; refused (BadInput, translated) otherwise."""
    return scans.read_scan(upload, required,
                           missing=_l("Upload the scan of the signed form (PDF or JPEG)."))


def _store_scan(move):
    scan = move.context.get("scan")
    if scan is None:
        return
    data, mimetype, ext, filename = scan
    claim = move.subject
    key = f"{SCANS}/{claim.candidate_id}-{uuid.uuid4().hex}.{ext}"
    claim.scan = filestore.put(key, data)
    claim.scan_type, claim.scan_name = mimetype, filename


# --- guards -----------------------------------------------------------------------------------

def _gaokao(move):
    check_gaokao(move.subject.candidate)


def _has_county(candidate):
    node = candidate.node.parent if candidate.node is not None else None
    while node is not None:
        if node.kind == COUNTY:
            return True
        node = node.parent
    return False


def _county_or_direct_city(move):
    """The county records; the city does so only for a school directly under it."""
    user_node = getattr(move.user, "node", None)
    if user_node is not None and user_node.kind == CITY and _has_county(move.subject.candidate):
        raise NotAllowed(_l("The county of %(name)s records this form, not the city.",
                            name=move.subject.candidate.name))


def _scan_given(move):
    if move.context.get("scan") is None:
        raise TransitionRefused(_l("Upload the scan of the signed form (PDF or JPEG)."))


def _points_given(move):
    move.context["points"] = check_points(move.subject.policy, move.context.get("points"))


def _window(move):
    if move.transition.activity:
        check_open_for(move.transition.activity, move.subject.candidate, move.now)


def check_points(policy, text):
    """The points typed for ``policy``: a whole number from 1 to the policy's bound."""
    row = bonus_codes.policy(policy)
    most = row["most"] if row else None
    value = str(text if text is not None else "").strip()
    if not value.isdigit():
        raise BadInput(_l("Points must be a whole number from 1 to %(most)s.", most=most))
    points = int(value)
    if most is None or not 1 <= points <= most:
        raise BadInput(_l("Points must be a whole number from 1 to %(most)s.", most=most))
    return points


# --- effects ----------------------------------------------------------------------------------

def _set_points(move):
    move.subject.points = move.context["points"]


def _note(move):
    if "note" in move.context:
        move.subject.note = (move.context["note"] or "").strip()[:500] or None


def _decided(move):
    claim = move.subject
    if move.transition.to_state in DECIDED:
        claim.decided_by, claim.decided_on = move.actor, move.now
    claim.reject_reason = move.reason if move.transition.to_state == REJECTED else None


def _started_again(move):
    claim = move.subject
    claim.decided_by = claim.decided_on = claim.reject_reason = None
    if claim.part == MINORITY:
        claim.points = None


def _touch(move):
    """The printed 优惠资格审查表 / 资格审核表 shows the outcome and its verification code binds
    the candidate's version: a new claim or a province decision moves that version, so a
    form printed before no longer verifies as current (as gaokao.views.touch does)."""
    move.subject.candidate.changed_on = move.now


# --- the tables ---------------------------------------------------------------------------------

ENTRY, COUNTY_REVIEW, CITY_REVIEW, PROVINCE_REVIEW = (
    "bonus_entry", "county_review", "city_review", "province_review")
RECORDERS = (COUNTY_ADMIN, CITY_ADMIN)


def _step(action, label, from_states, to_state, roles, activity, guards=(), effects=(), **kw):
    return Transition(action, label, from_states, to_state, roles, activity,
                      guards=(_gaokao, *guards, _window),
                      effects=(*effects, _note, _decided), **kw)


def _record(label, to_state=SUBMITTED, roles=RECORDERS, guards=(_county_or_direct_city,
                                                                _scan_given)):
    return _step("record", label, (None, REJECTED), to_state, roles, ENTRY, guards=guards,
                 effects=(_started_again, _store_scan, _touch))


TABLES = {
    MINORITY: {t.action: t for t in (
        _record(_l("Record the submitted 民审表")),
        _step("collect", _l("Mark collected by the city"), (SUBMITTED,), COLLECTED,
              (CITY_ADMIN,), ENTRY),
        _step("approve", _l("Approve and record the points (province)"), (COLLECTED,),
              APPROVED, (PROVINCE_ADMIN,), PROVINCE_REVIEW, guards=(_points_given,),
              effects=(_set_points, _touch)),
        _step("reject", _l("Reject (province)"), (SUBMITTED, COLLECTED), REJECTED,
              (PROVINCE_ADMIN,), PROVINCE_REVIEW, needs_reason=True, effects=(_touch,)),
    )},
    POLICY: {t.action: t for t in (
        _step("record", _l("Enter the policy (city)"), (None, REJECTED), ENTERED,
              (CITY_ADMIN,), ENTRY, guards=(_points_given,),
              effects=(_started_again, _set_points, _store_scan, _touch)),
        _step("approve", _l("Approve (province)"), (ENTERED,), APPROVED, (PROVINCE_ADMIN,),
              PROVINCE_REVIEW, effects=(_touch,)),
        _step("reject", _l("Reject (province)"), (ENTERED,), REJECTED, (PROVINCE_ADMIN,),
              PROVINCE_REVIEW, needs_reason=True, effects=(_touch,)),
    )},
    SPECIAL: {t.action: t for t in (
        _record(_l("Record the submitted 资格审核表")),
        _step("county_approve", _l("Approve (county)"), (SUBMITTED,), COUNTY_OK,
              (COUNTY_REVIEWER,), COUNTY_REVIEW),
        _step("county_reject", _l("Reject (county)"), (SUBMITTED,), REJECTED,
              (COUNTY_REVIEWER,), COUNTY_REVIEW, needs_reason=True),
        _step("city_approve", _l("Approve (city)"), (COUNTY_OK,), CITY_OK, (CITY_REVIEWER,),
              CITY_REVIEW),
        _step("city_reject", _l("Reject (city)"), (COUNTY_OK,), REJECTED, (CITY_REVIEWER,),
              CITY_REVIEW, needs_reason=True),
        _step("approve", _l("Approve (province)"), (CITY_OK,), APPROVED, (PROVINCE_ADMIN,),
              PROVINCE_REVIEW, effects=(_touch,)),
        _step("reject", _l("Reject (province)"), (CITY_OK,), REJECTED, (PROVINCE_ADMIN,),
              PROVINCE_REVIEW, needs_reason=True, effects=(_touch,)),
    )},
}


def _starts_from(claim):
    """专项 of a school directly under a city: no county review, the city reviews first."""
    def starts_from(transition):
        if (claim.part == SPECIAL and transition.action in ("city_approve", "city_reject")
                and not _has_county(claim.candidate)):
            return (SUBMITTED,)
        return transition.from_states
    return starts_from


def check_step(claim, action, user, reason=None, expected_version=None, now=None, **context):
    """Every check of ``action`` on ``claim`` (loaded through the user's scope, or a new
    unsaved claim for ``record``), changing nothing: the Move. ``context``: points, note,
    scan (``read_scan``'s tuple)."""
    table = TABLES[claim.part]
    return transitions.check(claim, transitions.find(table, action), user, STATE_LABELS, reason,
                             expected_version=expected_version, now=now,
                             starts_from=_starts_from(claim), context=context)


def apply_step(claim, action, user, reason=None, expected_version=None, now=None, **context):
    """Check and run ``action``; a new claim is added to the session (the caller commits)."""
    move = transitions.apply(check_step(claim, action, user, reason, expected_version, now,
                                        **context))
    if claim.id is None:
        db.session.add(claim)
    return move


def possible(claim, user):
    """[(transition, refusal)] the claim's page offers ``user`` (reason, points, scan taken as
    given: the page asks for them)."""
    table = TABLES[claim.part]
    return transitions.possible(table, user, lambda t: check_step(
        claim, t.action, user, reason="-", points=str(_max_points(claim)), scan=("", "", "", ""),
        note=claim.note))


def points_actions(part):
    """The actions of ``part``'s table that take points (their page asks for them)."""
    return {a for a, t in TABLES[part].items() if _points_given in t.guards}


def _max_points(claim):
    row = bonus_codes.policy(claim.policy)
    return (row or {}).get("most") or 1


def claim_for(candidate, part, policy):
    """The claim to record for ``candidate`` and ``policy``: the stored one (which ``record``
    starts over only after a rejection: the table says so), or a new unsaved one."""
    row = bonus_codes.policy(policy)
    if row is None or row["part"] != part or policy in bonus_codes.RETIRED:
        raise BadInput(_l("Choose a policy from the list."))
    found = db.session.execute(select(BonusClaim).where(
        BonusClaim.candidate_id == candidate.id, BonusClaim.policy == policy)).scalar_one_or_none()
    if found is not None:
        return found  # ``record`` starts from a rejection only: its table refuses the others
    claim = BonusClaim(part=part, policy=policy, candidate=candidate,
                       candidate_id=candidate.id)
    claim.state = None
    return claim


def record_new(candidate, part, policy, user, **context):
    """``record`` for ``candidate`` and ``policy`` (a new claim, or one rejected before)."""
    claim = claim_for(candidate, part, policy)
    apply_step(claim, "record", user, **context)
    return claim


# --- what printed forms and the self-service show -------------------------------------------

def claims_of(candidate_id, parts=(MINORITY, POLICY, SPECIAL)):
    """The candidate's claims of ``parts``, in policy order."""
    order = [row[0] for row in bonus_codes.POLICIES]
    rows = db.session.execute(select(BonusClaim).where(
        BonusClaim.candidate_id == candidate_id, BonusClaim.part.in_(parts))).scalars().all()
    return sorted(rows, key=lambda c: order.index(c.policy) if c.policy in order else 99)


def printed_claims(candidate_id, parts):
    """Rows of a printed form (Chinese whatever the UI language)."""
    out = []
    for claim in claims_of(candidate_id, parts):
        row = bonus_codes.policy(claim.policy) or {}
        out.append({
            "policy": row.get("zh", claim.policy),
            "effect": candidate_codes.label(bonus_codes.EFFECT_LABELS, row.get("effect")) or "",
            "points": claim.points if claim.points is not None else "",
            "note": claim.note or "",
            "state": _state_zh(claim.state),
            "reason": claim.reject_reason or "",
            "decided_on": claim.decided_on.strftime("%Y-%m-%d") if claim.decided_on else "",
        })
    return out


_STATE_ZH = {SUBMITTED: "已交县区招生办", COLLECTED: "市州已汇总", ENTERED: "市州已录入",
             COUNTY_OK: "县区审核通过", CITY_OK: "市州审核通过", APPROVED: "省级审核通过",
             REJECTED: "未通过"}


def _state_zh(state):
    return _STATE_ZH.get(state, state or "")


# --- the archive's parts ----------------------------------------------------------------------

def part_state(states):
    """One candidate's part state from its claims' states: none → NOT_REQUIRED (no 优惠 or
    专项 claimed); any still moving → ENTERED; all decided with one approved → CONFIRMED;
    all rejected → NOT_REQUIRED (decided: the candidate holds none; the summary says so)."""
    if not states:
        return archive.NOT_REQUIRED
    if any(s not in DECIDED for s in states):
        return archive.ENTERED
    return archive.CONFIRMED if APPROVED in states else archive.NOT_REQUIRED


def _part_states(parts):
    def states(candidate_ids):
        found = {}
        for cid, state in db.session.execute(
                select(BonusClaim.candidate_id, BonusClaim.state)
                .where(BonusClaim.candidate_id.in_(candidate_ids), BonusClaim.part.in_(parts))):
            found.setdefault(cid, []).append(state)
        return {cid: part_state(found.get(cid, [])) for cid in candidate_ids}
    return states


def _summary(parts):
    def summary(candidate):
        claims = claims_of(candidate.id, parts)
        if not claims:
            return str(_l("None claimed"))
        return "；".join(f"{c.policy_label}：{c.state_label}"
                        + (f"（{c.points}）" if c.points is not None else "") for c in claims)
    return summary


def _link(view):
    def link(candidate):
        return url_for(f"{view}.list", _flt_0_candidate_id=candidate.candidate_number
                       or candidate.id_number)
    return link


def _part_sql(parts):
    """``part_state`` as a SQL expression over the candidate's claims of ``parts``."""
    def state_sql(cid):
        claims = select(BonusClaim.id).where(BonusClaim.candidate_id == cid,
                                             BonusClaim.part.in_(parts))
        return archive.state_case(
            (claims.where(BonusClaim.state.not_in(DECIDED)).exists(), archive.ENTERED),
            (claims.where(BonusClaim.state == APPROVED).exists(), archive.CONFIRMED),
            default=archive.NOT_REQUIRED)
    return state_sql


archive.part("bonus", states=_part_states((MINORITY, POLICY)),
             link=_link("MinorityClaimView"), summary=_summary((MINORITY, POLICY)),
             state_sql=_part_sql((MINORITY, POLICY)))
archive.part("special_plan", states=_part_states((SPECIAL,)),
             link=_link("SpecialClaimView"), summary=_summary((SPECIAL,)),
             state_sql=_part_sql((SPECIAL,)))



#: 汉族 in codes.ETHNICITIES: the ethnic minority policy is not for it.
HAN = candidate_codes.ETHNICITIES[0][0]


def minority_form_refusal(candidate):
    """Why ``candidate`` may not print the 民审表 (None when it may): a 高考 candidate of an
    ethnic minority recorded in the registration data."""
    if candidate.exam is None or candidate.exam.kind != candidate_codes.GAOKAO:
        return _l("The 民审表 is for 高考 candidates only.")
    if not candidate.ethnicity or candidate.ethnicity == HAN:
        return _l("Your registration records no ethnic minority: the 民审表 is for candidates "
                  "of an ethnic minority. If your ethnicity is recorded wrongly, ask your "
                  "school to correct it first.")
    return None
