"""Public sign-up of 成人高考 candidates (网上报名, seed 004: "首先在报名系统中注册，设置用户名和密码").

No staff record comes first: on one page the candidate reads the exam's notices to candidates
and the integrity pledge, types who they are, the 户籍 and the county where they register,
chooses a user name, a password and the recovery question, and answers the picture code. One
transaction then creates the record (a draft at that county), the account and the audit rows
of both acknowledgements, and the candidate is logged in on the status page, which leads on
to the preferences, the confirmation point and the confirmation. Records made by staff or
import keep the activation code (``/me/activate``).

Against automation, without any internet service: the picture code (``challenge``), a hidden
field people leave empty, and a per-address limit on the posts (SELF_SIGNUP_RATE_LIMIT, in
the limiter's storage: Redis when REDIS_URL is set).
"""
from flask import Response, abort, current_app, flash, g, redirect, render_template, request, \
    url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from .. import codes
from ..adult import pledge
from ..audit import AuditLog
from ..candidates.divisions import division_rows
from ..candidates.models import Candidate
from ..codes import ADULT
from ..exams.models import Exam
from ..exams.notices import Notice
from ..extensions import db
from ..jurisdiction import CITY, COUNTY, PROVINCE, Node
from ..phases.models import Phase, PhaseExtension
from ..phases.rules import PhaseClosed, check_open, now_local
from . import auth, challenge
from .models import CandidateAccount
from .signup_form import SignupForm
from .views import SELF_REGISTRATION, _page, bp

ENDPOINTS = ("signup", "signup_exam", "signup_challenge")
#: what the page never shows again after a post.
_SECRET_FIELDS = ("password", "password2", "challenge", "website", "csrf_token")
#: notices shown on the page at most (the newest first; the rest are on /me/notices).
NOTICES = 20


def limit(app):
    """The per-address limit on sign-up posts (read from the settings on every post)."""
    shared = app.appbuilder.sm.limiter.shared_limit(
        lambda: current_app.config.get("SELF_SIGNUP_RATE_LIMIT") or "10 per hour",
        scope="selfservice-signup", methods=["POST"])
    endpoint = f"{bp.name}.signup_exam"
    app.view_functions[endpoint] = shared(app.view_functions[endpoint])


@bp.errorhandler(429)
def _too_many(_error):
    """Every limited post under /me/ (log-in, activation, recovery, sign-up) answers in the
    page's language."""
    return render_template(
        "errors/selfservice.html", code=429, title=_("Too many attempts"),
        message=_("Too many attempts from your network address in a short time. Wait a while, "
                  "then try again.")), 429


# --- which exams and units ------------------------------------------------------------------


def open_somewhere(exam_id, now=None):
    """Whether the exam's self-registration window (for every category) is open now in some
    region, its extensions included; an exam without any window is open unless the settings
    require windows (``phases.rules``)."""
    phases = db.session.execute(select(Phase).where(
        Phase.exam_id == exam_id, Phase.activity == SELF_REGISTRATION)).scalars().all()
    if not phases:
        return not current_app.config.get("PHASES_REQUIRED", False)
    now = now or now_local()
    for phase in phases:
        if phase.category is not None or phase.start > now:
            continue
        extended = db.session.execute(select(func.max(PhaseExtension.new_end)).where(
            PhaseExtension.phase_id == phase.id)).scalar()
        if now <= max(phase.end, extended or phase.end):
            return True
    return False


def open_exams():
    """The active 成人高考 exams taking sign-ups now."""
    exams = db.session.execute(select(Exam).where(
        Exam.kind == ADULT, Exam.active.is_(True)).order_by(Exam.year.desc())).scalars().all()
    return [exam for exam in exams if open_somewhere(exam.id)]


def exam_or_404(exam_id):
    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.kind != ADULT or not exam.active:
        abort(404)
    return exam


def provinces(exam):
    """The provinces of the tree the exam is held in: a deployment serves one province, and
    an exam's name carries it ("2026年河南省…"); all of them when the name names none."""
    found = db.session.execute(select(Node).where(
        Node.kind == PROVINCE, Node.active.is_(True)).order_by(Node.path)).scalars().all()
    return [p for p in found if p.name and p.name in exam.name] or found


def units(exam):
    """[(city, [unit])] where a record may start: the active counties of the exam's
    provinces by city, and a city without counties (济源示范区, 省直管县) itself."""
    paths = tuple(p.path for p in provinces(exam))
    rows = db.session.execute(select(Node).where(
        Node.kind.in_((CITY, COUNTY)), Node.active.is_(True)).order_by(Node.path)).scalars().all()
    rows = [n for n in rows if n.path.startswith(paths)] if paths else []
    cities = [n for n in rows if n.kind == CITY]
    counties = [n for n in rows if n.kind == COUNTY]
    grouped = []
    for city in cities:
        own = [n for n in counties if n.path.startswith(city.path)]
        grouped.append((city, own or [city]))
    return grouped


def unit_for(exam, unit_id):
    """The unit ``unit_id`` when a record of ``exam`` may start there, else None."""
    for _city, own in units(exam):
        for unit in own:
            if unit.id == unit_id:
                return unit
    return None


def notices(exam):
    """The exam's published province-wide notices (the regional ones are on /me/notices)."""
    paths = [p.path for p in provinces(exam)]
    return db.session.execute(
        select(Notice).join(Node, Node.id == Notice.node_id)
        .where(Notice.exam_id == exam.id, Notice.published.is_(True), Node.path.in_(paths))
        .order_by(Notice.published_on.desc()).limit(NOTICES)).scalars().all()


# --- pages ----------------------------------------------------------------------------------


@bp.route("/signup")
def signup():
    """The exams taking sign-ups; with one, its page."""
    exams = open_exams()
    if len(exams) == 1:
        return redirect(url_for(".signup_exam", exam_id=exams[0].id))
    return _page("signup_exams.html", exams=exams)


def closed_message(exam):
    """Why the exam takes no sign-up now (None when it does somewhere)."""
    if open_somewhere(exam.id):
        return None
    try:
        check_open(SELF_REGISTRATION, exam.id)
    except PhaseClosed as exc:
        return exc.args[0]
    return _l("Online registration for this exam is not open now.")


def _signup_page(exam, status=200, errors=None, error=None, closed=None):
    values = {k: v for k, v in request.form.items() if k not in _SECRET_FIELDS}
    return _page("signup.html", status, exam=exam, notices=notices(exam), pledge=pledge,
                 units=units(exam), id_types=codes.choices(codes.ID_TYPES, lang=None),
                 genders=codes.choices(codes.GENDERS, lang=None),
                 questions=auth.RECOVERY_QUESTIONS, divisions=_divisions(),
                 values=values, errors=errors or {}, error=error,
                 closed=closed if closed is not None else closed_message(exam),
                 minutes=challenge.minutes())


def _divisions():
    """(code, full name) of the tree's counties: suggestions for the 户籍 code."""
    rows = division_rows()
    names = {code: name for code, name, _parent in rows}
    parents = {code: parent for code, _name, parent in rows}

    def full(code):
        chain = []
        while code:
            chain.insert(0, names.get(code, ""))
            code = parents.get(code)
        return "".join(chain)

    return [(code, full(code)) for code, _name, parent in rows
            if parent and parents.get(parent)]


@bp.route("/signup/challenge.png")
def signup_challenge():
    """A new picture code for this browser session (the previous one stops working)."""
    return Response(challenge.issue(), mimetype="image/png",
                    headers={"Cache-Control": "no-store, max-age=0"})


_CHALLENGE_ERRORS = {
    challenge.EXPIRED: _l("The picture code has expired. Type the characters of the new "
                          "picture."),
    challenge.WRONG: _l("The characters typed do not match the picture. Type the characters "
                        "of the new picture."),
}
_CHALLENGE_USED = _l("The picture code was used already. Type the characters of the new "
                     "picture.")


@bp.route("/signup/<int:exam_id>", methods=["GET", "POST"])
def signup_exam(exam_id):
    exam = exam_or_404(exam_id)
    if request.method == "GET":
        return _signup_page(exam)
    closed = closed_message(exam)
    if closed is not None:
        return _signup_page(exam, 403, closed=closed)
    form = SignupForm()
    # The code is consumed first, whatever else is wrong; the hidden field filled by a robot
    # reads as a wrong code.
    outcome = challenge.check(form.challenge.data)
    if form.website.data:
        outcome = challenge.WRONG
    valid = form.validate()
    errors = dict(form.errors)
    if outcome != challenge.OK:
        errors["challenge"] = [_CHALLENGE_ERRORS.get(outcome, _CHALLENGE_USED)]
    unit = unit_for(exam, form.county()) if valid else None
    if valid and unit is None:
        errors["county_id"] = [_l("Choose the county (city, district) where you register.")]
    if errors:
        return _signup_page(exam, 400, errors=errors,
                            error=_l("Correct the marked fields and type the new picture code."))
    return _register(exam, unit, form)


def _register(exam, unit, form):
    """The checks that need the database, then the record, the account and the log-in."""
    values = form.values()
    try:
        check_open(SELF_REGISTRATION, exam.id, None, unit, hukou=values["hukou"])
    except PhaseClosed as exc:
        return _signup_page(exam, 403, error=exc.args[0])
    refusal = _conflict(exam, values["id_number"], form.username.data)
    if refusal is not None:
        return refusal
    cand = Candidate(exam_id=exam.id, node=unit, state="draft",
                     candidate_number=candidate_number(exam, unit), **values)
    account = CandidateAccount(candidate=cand, username=form.username.data,
                               password_hash=auth.make_hash(form.password.data),
                               recovery_question=form.question.data,
                               recovery_answer_hash=auth.make_hash(form.answer.data),
                               last_login=auth.now())
    # The audit rows name the candidate as the actor, known by its id once inserted.
    g.audit_actor = _NewCandidate(cand)
    db.session.add_all([cand, account])
    try:
        db.session.flush()
        _acknowledgements(exam, cand, unit)
        db.session.commit()
    except IntegrityError:  # the same number or name posted twice at once
        db.session.rollback()
        return _conflict(exam, values["id_number"], form.username.data) or _signup_page(
            exam, 409, error=_l("Your registration could not be saved; try again."))
    auth.start_session(account)
    flash(_("You are registered: your candidate number is %(number)s, your user name "
            "%(username)s. Complete your information and preferences, choose your "
            "confirmation point and confirm.",
            number=cand.candidate_number, username=account.username), "success")
    return redirect(url_for(".home"))


def candidate_number(exam, unit):
    """The 考生号 (报名号) a sign-up gets at once, as the notice's system gives it on
    registration: year (2 digits), the county's division code, a 6-digit serial per county
    and exam — 14 digits like the numbers staff enter (26410102000001). The next serial is
    read from the (exam_id, candidate_number) unique index; two sign-ups of one county in the
    same instant collide there, and the loser is asked to submit again."""
    prefix = f"{exam.year % 100:02d}{unit.code[:6]}"
    last = db.session.execute(select(func.max(Candidate.candidate_number)).where(
        Candidate.exam_id == exam.id, Candidate.candidate_number.like(f"{prefix}%"),
        func.length(Candidate.candidate_number) == len(prefix) + 6)).scalar()
    serial = int(last[len(prefix):]) + 1 if last and last[len(prefix):].isdigit() else 1
    return f"{prefix}{serial:06d}"


def _conflict(exam, id_number, username):
    """The page refusing a number already registered for this exam, or a user name taken
    (any case); None when both are free."""
    taken = db.session.execute(select(Candidate.id).where(
        Candidate.exam_id == exam.id, Candidate.id_number == id_number)).first()
    if taken is not None:
        return _signup_page(exam, 409, error=_l(
            "This document number is already registered for this exam. Log in with your "
            "document number (or user name) and password, or recover your password; if "
            "neither works, ask your confirmation point."))
    if db.session.execute(select(CandidateAccount.id).where(
            CandidateAccount.username == username)).first() is not None:
        return _signup_page(exam, 409, errors={"username": [_l(
            "This user name is taken; choose another.")]})
    return None


class _NewCandidate:
    """The audit actor of a sign-up: ``candidate:<id>`` like every write on these pages. The
    id exists once the INSERT ran, which is when the audit rows are written (after the
    flush, ``app.audit``)."""

    def __init__(self, cand):
        self.cand = cand

    def __iter__(self):
        return iter((None, f"candidate:{self.cand.id}"))


def _acknowledgements(exam, cand, unit):
    """The audit rows of the pledge (as the confirmation records it, with its wording's
    version) and of the notices read, in the record's transaction."""
    read = [n.id for n in notices(exam)]
    rows = [("pledge", {"event": "integrity_pledge", "version": pledge.PLEDGE_VERSION,
                        "candidate_id": cand.id, "self_service": True}),
            ("notices", {"event": "notices_read", "exam": exam.id, "candidate_id": cand.id,
                         "notices": read, "self_service": True})]
    db.session.execute(insert(AuditLog), [dict(
        at=auth.now(), user_id=None, username=f"candidate:{cand.id}", ip=request.remote_addr,
        action=action, table_name="ks_candidate", row_id=cand.id, candidate_id=cand.id,
        node_path=unit.path, changes=details) for action, details in rows])
