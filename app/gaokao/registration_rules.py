"""Rules of the 高考 报名信息 (registration part): where a candidate registers, the formats of
报名号 and 中学代码, the agreement of the codes with the candidate's 考生类别, the fee (含缴费),
and the one transition table of its confirmation.

Value errors are ``validators.InvalidValue`` (the forms show them under their field); guard
refusals are ``Refused`` subclasses carrying the translated message.
"""
import datetime as dt
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import transitions
from ..candidates import policy
from ..extensions import db
from ..jurisdiction import CITY, COUNTY, POINT, SCHOOL
from ..phases.rules import check_open_for
from ..refusals import BadInput, Refused
from ..security import (CITY_ADMIN, COUNTY_ADMIN, POINT_STAFF, PROVINCE_ADMIN,
                        SCHOOL_STAFF)
from ..validators import InvalidValue
from . import registration_codes as rc
from .registration_models import CONFIRMED, ENTERED, STATE_LABELS, GaokaoRegistration
from .rules import check_gaokao


_REGISTRATION_NUMBER = re.compile(r"\d{14}")
_SCHOOL_CODE = re.compile(r"\d{8,10}")


class NotARegistrationPoint(Refused):
    status = 422


def registration_region(candidate):
    """The county (or, for a school directly under a city, the city) whose office designated
    the candidate's registration point."""
    node = candidate.node
    parent = node.parent if node is not None else None
    return parent if parent is not None and parent.kind in (COUNTY, CITY) else None


def check_registration_point(candidate):
    """高考 registration is done at a point designated by the county office (seed 002: 到县市区
    招生办指定的高考报名点办理报名（含缴费）手续): the candidate's unit must be an active
    registration point or school (中学报名点) of a county, or a school directly under a city."""
    check_gaokao(candidate)
    node = candidate.node
    if node is None or node.kind not in (SCHOOL, POINT) or registration_region(candidate) is None:
        raise NotARegistrationPoint(_l(
            "%(name)s is registered at %(unit)s, which is not a 高考 registration point: "
            "registration is done at a school or registration point designated by the county "
            "office. Move the candidate to its registration point first.",
            name=candidate.name, unit=node.name if node is not None else "—"))
    if not node.active:
        raise NotARegistrationPoint(_l(
            "%(unit)s is deactivated and no longer takes registrations; move %(name)s to an "
            "active registration point first.", unit=node.name, name=candidate.name))


def check_registration_number(value, candidate, own_id=None):
    """报名号: 14 digits, the exam year's last two digits, the 6-digit code of the county (or
    city) of the registration point, then a 6-digit sequence; unique within the exam."""
    value = (value or "").strip()
    if not _REGISTRATION_NUMBER.fullmatch(value):
        raise InvalidValue("registration_number", _l(
            "The registration number has 14 digits: year (2), county code (6), sequence (6)."))
    exam = candidate.exam
    if exam is not None and value[:2] != f"{exam.year % 100:02d}":
        raise InvalidValue("registration_number", _l(
            "The registration number must start with %(yy)s, the exam year.",
            yy=f"{exam.year % 100:02d}"))
    region = registration_region(candidate)
    if region is not None and re.fullmatch(r"\d{6}", region.code) and value[2:8] != region.code:
        raise InvalidValue("registration_number", _l(
            "Digits 3–8 of the registration number must be %(code)s, the code of %(region)s.",
            code=region.code, region=region.name))
    taken = db.session.execute(select(GaokaoRegistration.id).where(
        GaokaoRegistration.exam_id == candidate.exam_id,
        GaokaoRegistration.registration_number == value)).scalar()
    if taken is not None and taken != own_id:
        raise InvalidValue("registration_number", _l(
            "The registration number %(number)s is already used in this exam.", number=value))
    return value


def check_school_code(value):
    """中学代码: the 6-digit division code and the school's number, 8 to 10 digits."""
    value = (value or "").strip()
    if not _SCHOOL_CODE.fullmatch(value):
        raise InvalidValue("school_code", _l(
            "The school code has 8 to 10 digits: the 6-digit division code and the school's "
            "number."))
    if not 11 <= int(value[:2]) <= 82:
        raise InvalidValue("school_code", _l(
            "The school code must start with a province code (11–82)."))
    return value


def graduation_problem(candidate, graduation_kind):
    """The 毕业类别 must agree with the candidate's 考生类别 (普通高中 / 中职 / 同等学力)."""
    allowed = rc.CATEGORY_GRADUATION.get(candidate.category)
    if allowed is None or graduation_kind in (None, "") or graduation_kind in allowed:
        return None
    return _l("The graduation type does not agree with the candidate category “%(category)s”.",
              category=candidate.category_label or candidate.category)


def exam_type_problem(exam_type, application_kind, graduation_kind):
    """对口招生: the 考试类型 and the 报考类别 go together, and only 中职 graduates sit it."""
    if not exam_type or not application_kind:
        return None
    vocational_exam = exam_type == rc.VOCATIONAL_EXAM
    if vocational_exam != (application_kind == rc.VOCATIONAL_APPLICATION):
        return _l("The vocational (对口) exam type and the vocational application kind go "
                  "together: choose both or neither.")
    if vocational_exam and graduation_kind and graduation_kind not in rc.VOCATIONAL_KINDS:
        return _l("Only graduates of secondary vocational schools sit the vocational (对口) exam.")
    return None


def fee_problem(fee_state, amount, paid_at, now=None):
    """含缴费: a payment has a positive amount and a time not in the future; unpaid and
    exempt registrations have neither."""
    now = now or dt.datetime.now()
    if fee_state == rc.PAID:
        if amount is None or amount <= 0:
            return "fee_amount", _l("Enter the amount paid (more than 0).")
        if amount >= 10000:
            return "fee_amount", _l("The amount paid must be less than 10000 yuan.")
        if paid_at is None:
            return "paid_at", _l("Enter when the fee was paid.")
        if paid_at > now:
            return "paid_at", _l("The payment time cannot be in the future.")
    elif fee_state in (rc.UNPAID, rc.EXEMPT):
        if amount is not None or paid_at is not None:
            return "fee_amount", _l("An unpaid or exempt registration has no amount and no "
                                    "payment time; choose “Paid” or clear them.")
    return None


def check_change(candidate):
    """Entering or changing the registration part: a 高考 candidate at a registration point,
    the record neither signed nor approved, and the staff entry window open."""
    check_registration_point(candidate)
    policy.check_change(candidate, policy.STAFF, "staff_entry")


def check_editable(registration):
    """A confirmed registration is what the point signed off; it changes only after the
    county office withdraws the confirmation."""
    if registration.confirmed:  # confirmed_at: set by the "confirm" transition only
        raise Refused(_l("The registration information of %(name)s is confirmed; the county "
                         "office must withdraw the confirmation (with a reason) before it can "
                         "change.", name=registration.candidate.name), status=409)
    check_change(registration.candidate)


# --- confirmation: one transition table ---------------------------------------------------

def _paid(move):
    if move.subject.fee_state == rc.UNPAID:
        raise transitions.TransitionRefused(_l(
            "%(name)s has not paid the registration fee: registration includes the fee.",
            name=move.subject.candidate.name))


def _at_point(move):
    try:
        check_registration_point(move.subject.candidate)
    except (Refused, BadInput) as exc:
        raise transitions.TransitionRefused(str(exc)) from None


def _window(move):
    check_open_for(move.transition.activity, move.subject.candidate)


def _mark_confirmed(move):
    move.subject.confirmed_at = move.now
    move.subject.confirmed_by = move.actor


def _mark_withdrawn(move):
    move.subject.confirmed_at = None
    move.subject.confirmed_by = None


TRANSITIONS = {
    "confirm": transitions.Transition(
        "confirm", _l("Confirm registration"), (ENTERED,), CONFIRMED,
        roles=(POINT_STAFF, SCHOOL_STAFF, COUNTY_ADMIN), activity="confirmation",
        guards=(_at_point, _paid, _window), effects=(_mark_confirmed,)),
    "withdraw": transitions.Transition(
        "withdraw", _l("Withdraw confirmation"), (CONFIRMED,), ENTERED,
        roles=(COUNTY_ADMIN, CITY_ADMIN, PROVINCE_ADMIN), needs_reason=True,
        effects=(_mark_withdrawn,)),
}


def check(registration, action, user, reason=None):
    """The checked move of ``action`` on ``registration`` (changes nothing)."""
    return transitions.check(registration, transitions.find(TRANSITIONS, action), user,
                             STATE_LABELS, reason=reason, name=registration.candidate.name)


def run(registration, action, user, reason=None):
    """Check and apply ``action``; the caller commits."""
    return transitions.apply(check(registration, action, user, reason))


def possible(registration, user):
    return transitions.possible(TRANSITIONS, user,
                                lambda t: check(registration, t.action, user, "-"))
