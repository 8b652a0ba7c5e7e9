"""成人高考 pages of the self-service: my preferences (我的志愿) and the confirmation point
(选择报名确认点). The same guards as every other write here (``app.candidates.policy`` for the candidate:
review state, lock, window); the rules are ``adult.rules``."""
from functools import wraps

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..adult import rules
from ..adult.points import eligible_points
from .. import codes
from ..candidates import policy
from ..candidates.models import Candidate, Preference
from ..codes import ADULT
from ..extensions import db
from ..jurisdiction import POINT, Node
from ..phases.rules import PhaseClosed, check_open, windows
from ..refusals import Refused
from .views import SELF_REGISTRATION, _page, bp, refused_write

PREFERENCE_FIELDS = ("level", "track", "major_category", "study_form", "school_code",
                     "school_name", "major_code", "major_name", "duration", "adjust")


def adult_only(view):
    """These pages exist for 成人高考 candidates only."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.candidate.exam.kind != ADULT:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def preference_activity(cand):
    """Preferences follow a ``preference`` window when the exam configures one, otherwise the
    self-registration window."""
    return "preference" if windows(cand.exam_id, "preference", cand.category,
                                   cand.node) else SELF_REGISTRATION


def _current_point_problem(cand):
    """Why the chosen point no longer fits the preferences (None when it fits or none is
    chosen yet)."""
    if cand.node.kind != POINT or rules.point_requirements(cand) is None:
        return None
    return rules.candidate_point_refusal(cand, cand.node)


# --- preferences ------------------------------------------------------------------------------


def _preferences_page(status=200, errors=None, values=None, problems=None, target=None):
    cand = g.candidate
    return _page("preferences.html", status, cand=cand,
                 refusal=policy.refusal(cand, policy.CANDIDATE, preference_activity(cand)),
                 current={p.seq: p for p in cand.preferences}, seqs=rules.SEQS,
                 levels=codes.choices(rules.LEVELS, lang=None),
                 tracks=codes.choices(codes.ADULT_TRACKS, lang=None),
                 categories=codes.choices(codes.ADULT_MAJOR_CATEGORIES, lang=None),
                 study_forms=codes.choices(codes.STUDY_FORMS, lang=None),
                 durations=rules.DURATIONS, level_label=_level_label(cand.category),
                 errors=errors or {}, values=values or {}, problems=problems or [],
                 target=target, point_problem=_current_point_problem(cand))


def _level_label(code):
    return codes.label(rules.LEVELS, code, lang=None) if code else None


def _as_rule_input(row):
    return {"seq": row.seq, "level": row.level, "major_category": row.major_category,
            "school_code": row.school_code, "major_code": row.major_code}


def _commit(page, message=None):
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(_("Your record was changed by someone else meanwhile; check it and save again."),
              "error")
        return redirect(url_for(page))
    flash(message or _("Saved."), "success")
    return redirect(url_for(page))


@bp.route("/preferences")
@adult_only
def preferences():
    return _preferences_page()


@bp.route("/preferences/<int:seq>", methods=["POST"])
@adult_only
def preference_save(seq):
    cand = g.candidate
    if seq not in rules.SEQS:
        abort(404)
    if refused_write(preference_activity(cand)) is not None:
        return _preferences_page(403)
    values, errors = rules.clean_preference(request.form)
    form = {k: request.form.get(k, "") for k in PREFERENCE_FIELDS}
    if errors:
        return _preferences_page(400, errors={seq: errors}, values={seq: form}, target=seq)
    current = {p.seq: p for p in cand.preferences}
    wanted = [_as_rule_input(p) for s, p in current.items() if s != seq] + [dict(values, seq=seq)]
    problems = rules.preference_problems(cand.category, wanted)
    if problems:
        return _preferences_page(400, values={seq: form}, problems=problems, target=seq)
    row = current.get(seq)
    if row is None:
        row = Preference(seq=seq)
        cand.preferences.append(row)
    for key, value in values.items():
        setattr(row, key, value)
    if seq == 1 and not cand.category:
        # A self-registered candidate's level is the first choice's (报考层次); the window
        # asked above was the empty level's, so that level's own window is asked too.
        cand.category = values["level"]
        if refused_write(preference_activity(cand)) is not None:
            db.session.rollback()
            return _preferences_page(403)
    return _commit(".preferences")


@bp.route("/preferences/<int:seq>/delete", methods=["POST"])
@adult_only
def preference_delete(seq):
    cand = g.candidate
    if refused_write(preference_activity(cand)) is not None:
        return _preferences_page(403)
    current = {p.seq: p for p in cand.preferences}
    if seq not in current:
        abort(404)
    if seq == 1 and 2 in current:
        return _preferences_page(400, problems=[
            _("Remove the second choice first: a second choice needs a first.")])
    cand.preferences.remove(current[seq])
    return _commit(".preferences")


# --- confirmation point -----------------------------------------------------------------------


def _point_page(status=200, problem=None):
    cand = g.candidate
    needs = rules.point_requirements(cand)
    return _page("point.html", status, cand=cand,
                 refusal=policy.refusal(cand, policy.CANDIDATE, SELF_REGISTRATION),
                 points=eligible_points(cand), needs=needs, problem=problem,
                 level_label=_level_label(needs[0]) if needs else None,
                 current_problem=_current_point_problem(cand),
                 minor_age=rules.MINOR_AGE,
                 reference_date=rules.age_reference_date(cand.exam),
                 exam_date_set=cand.exam.exam_date is not None)


def _window_refusal_at(cand, unit):
    """The self-registration window where the record moves: the write was checked at its
    current unit, whose extension (延时) the point may not have."""
    try:
        check_open(SELF_REGISTRATION, cand.exam_id, cand.category, unit, hukou=cand.hukou)
    except PhaseClosed as exc:
        return exc.args[0]
    return None


@bp.route("/point")
@adult_only
def point():
    return _point_page()


@bp.route("/point", methods=["POST"])
@adult_only
def point_choose():
    cand = g.candidate
    if refused_write(SELF_REGISTRATION) is not None:
        return _point_page(403)
    try:
        point_id = int(request.form.get("point_id", ""))
    except ValueError:
        point_id = None
    chosen = db.session.execute(select(Node).where(Node.id == point_id)).scalar_one_or_none() \
        if point_id is not None else None
    refusal = rules.candidate_point_refusal(cand, chosen) or _window_refusal_at(cand, chosen)
    if refusal is not None:
        return _point_page(403, problem=refusal)
    # The record moves to the point: its staff now see it and confirm it on site. Set by id
    # so the audit row of this change records the unit before and after.
    cand.node_id = chosen.id
    return _commit(".point", _("Your confirmation point is now %(point)s.", point=chosen.name))


# --- payment (网上缴费) -------------------------------------------------------------------------


def payment_info(cand):
    """The payment block of the status page and the payment page: state, its label, the
    payment, the deadline, and the refusal of paying now (None: the pay button is shown)."""
    from ..adult import gateway
    from ..adult.payment_state import LABELS, payment_deadline, payment_state

    state, payment = payment_state(cand)
    chosen = gateway.provider()
    refusal = None
    if not chosen.online:
        refusal = _("Pay on the payment platform; the examination office records the payment "
                    "from the platform's result file.")
    else:
        try:
            gateway.check_payable(cand)
        except Refused as exc:
            refusal = str(exc)
    return {"state": state, "label": LABELS[state], "payment": payment,
            "deadline": payment_deadline(cand), "refusal": refusal, "online": chosen.online,
            "fee": gateway.fee()}


@bp.context_processor
def _adult_payment_context():
    def adult_payment():
        # The status page has a summary of the record; the rules need the record itself.
        cand = g.candidate
        if cand is None:
            return None
        return payment_info(db.session.get(Candidate, cand.id))

    return {"adult_payment": adult_payment}


@bp.route("/adult/pay")
@adult_only
def adult_pay_page():
    return _page("adult_pay.html", cand=g.candidate, info=payment_info(g.candidate))


@bp.route("/adult/pay", methods=["POST"])
@adult_only
def adult_pay():
    from ..adult import gateway

    try:
        return redirect(gateway.provider().start_payment(g.candidate))
    except Refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _page("adult_pay.html", exc.status, cand=g.candidate,
                     info=payment_info(g.candidate))


def _simulated():
    from ..adult import gateway

    chosen = gateway.provider()
    if not isinstance(chosen, gateway.SimulatedProvider):
        abort(404)
    return chosen


@bp.route("/adult/pay/sim")
@adult_only
def adult_pay_sim():
    sim = _simulated()
    try:
        order = sim.read_order(request.args.get("order"), g.candidate)
    except Refused as exc:
        flash(str(exc), "error")
        return _page("adult_pay.html", exc.status, cand=g.candidate,
                     info=payment_info(g.candidate))
    return _page("adult_pay_sim.html", cand=g.candidate, order=request.args.get("order"),
                 amount=order["a"])


@bp.route("/adult/pay/sim", methods=["POST"])
@adult_only
def adult_pay_sim_confirm():
    from ..adult import gateway

    sim = _simulated()
    cand = g.candidate
    try:
        gateway.check_payable(cand)
        report = sim.handle_notify(sim.pay(request.form.get("order"), cand))
    except Refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _page("adult_pay.html", exc.status, cand=cand, info=payment_info(cand))
    if report.rejected:
        flash(str(report.rejected[0][2]), "error")
        return _page("adult_pay.html", 409, cand=cand, info=payment_info(cand))
    flash(_("Your fee is paid. Your registration is valid."), "success")
    return redirect(url_for(".adult_pay_page"))
