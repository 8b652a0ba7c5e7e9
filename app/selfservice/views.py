"""Candidate self-service pages (``/me/``). Every route takes the candidate from the session,
never from the URL or the form: ids in URLs (guardians, study periods) are looked up inside the
session's candidate only, so another candidate's rows answer 404."""
import time
from collections import namedtuple
from functools import cache

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from jinja2 import pass_context
from markupsafe import Markup
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm.exc import StaleDataError

from .. import codes
from ..candidates import policy
from ..adult import pledge
from ..adult.rules import confirmation_problems
from ..audit import log_event
from ..candidates.models import Candidate, Guardian, StudyHistory
from ..candidates.states import confirmed_by_candidate
from ..codes import ADULT, ZHONGZHAO
from ..extensions import db
from ..phases.rules import TZ, PhaseClosed, check_open_for, now_local, windows
from ..refusals import Refused
from ..review.feedback import qualification_results
from ..review.models import ReviewEvent
from ..review.workflow import apply
from ..validators import mask_id_number
from . import auth, forms

bp = Blueprint("selfservice", __name__, url_prefix="/me",
               template_folder=None, static_folder=None)
PUBLIC = {"selfservice.login", "selfservice.activate", "selfservice.recover",
          "selfservice.public_notices", "selfservice.public_notice",  # 报考须知, read first
          "selfservice.signup", "selfservice.signup_exam", "selfservice.signup_challenge"}
#: POSTs counted by the per-address limit (shared bucket): everything that checks a secret.
LIMITED = ("login", "activate", "recover", "password")
#: The phase activity of every change made on these pages (成人高考 preferences may have
#: their own, see ``adult.preference_activity``).
SELF_REGISTRATION = "self_registration"


_PhaseView = namedtuple("_PhaseView", "name start category hours", defaults=(None,))
#: The candidate as the actor of an audit row: no staff user, the ``candidate:<id>`` tag the
#: trail uses for every change made here, and the candidate's unit (where the row is filed).
_Actor = namedtuple("_Actor", "id username node")


def register(app):
    """Register the blueprint and put the per-address limit on its login-type POSTs, using
    FAB's limiter (Redis storage when REDIS_URL is set, so it holds across workers)."""
    app.register_blueprint(bp)
    # Generous per address (a school lab shares one NAT address); guessing is stopped by the
    # per-account lock, see README "Candidate self-service".
    limit = app.config.get("SELF_SERVICE_RATE_LIMIT") or "60 per minute"
    shared = app.appbuilder.sm.limiter.shared_limit(limit, scope="selfservice-auth",
                                                    methods=["POST"])
    for name in LIMITED:
        endpoint = f"{bp.name}.{name}"
        app.view_functions[endpoint] = shared(app.view_functions[endpoint])
    from .signup import limit  # 成人高考 sign-up: a limit of its own (app/selfservice/signup.py)

    limit(app)


@bp.before_request
def _require_candidate():
    g.ss_account = g.candidate = None
    if request.endpoint in PUBLIC:
        return None
    if request.endpoint == "selfservice.home":
        # The page every candidate reloads: one Core query, no ORM objects (read only).
        g.candidate = auth.session_summary()
    else:
        g.ss_account = auth.session_account()
        g.candidate = g.ss_account.candidate if g.ss_account is not None else None
    if g.candidate is None:
        flash(_("Please log in."), "info")
        return redirect(url_for(".login"))
    # The audit trail names the candidate as the actor of every change made here.
    g.audit_actor = (None, f"candidate:{g.candidate.id}")
    return None


@bp.after_request
def _headers(resp):
    # Framing, referrer and sniffing headers come from flask-talisman (app/__init__.py).
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


@bp.app_context_processor
def _context():
    from flask_babel import get_locale

    lang = "en" if str(get_locale() or "zh").startswith("en") else "zh-CN"
    return {"ss_candidate": getattr(g, "candidate", None), "ss_lang": lang}


def _fast_gettext():
    """The template's ``_``/``gettext`` bound to this request's catalogue once: Flask-Babel
    looks the catalogue up on every call (~15 µs), a page has twenty strings. Same result
    as Jinja's newstyle gettext (autoescape, ``%`` formatting)."""
    from flask_babel import get_translations

    translations = get_translations()

    @pass_context
    def gettext(context, string, **variables):
        rv = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return gettext


def _page(template, status=200, **ctx):
    return render_template(f"selfservice/{template}", gettext=_fast_gettext(), **ctx), status


def _event(action, details):
    """An audit row for a non-data event by the candidate (print, pledge), filed under its
    unit. ``log_event`` commits."""
    cand = g.candidate
    log_event(action, "ks_candidate", details, row_id=cand.id,
              actor=_Actor(None, f"candidate:{cand.id}", cand.node))


# --- login, activation, recovery -------------------------------------------------------------


def _generic_login_error():
    return _l("The ID number / candidate number or the password is wrong.")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if auth.session_account() is not None:
            return redirect(url_for(".home"))
        return _page("login.html")
    form = forms.LoginForm()
    id_number, password = form.id_number.data or "", form.password.data or ""
    active = [a for a in auth.accounts_for(id_number) if a.password_hash]
    if not active:
        auth.check_hash(None, password)
        return _page("login.html", 401, error=_generic_login_error(), id_number=id_number)
    error = None
    for account in active:
        if auth.is_locked(account):
            error = auth.lock_message(account)
            continue
        if auth.check_hash(account.password_hash, password):
            account.failed_logins, account.locked_until = 0, None
            account.last_login = auth.now()
            db.session.commit()
            auth.start_session(account)
            return redirect(url_for(".home"))
    for account in active:
        if not auth.is_locked(account):
            auth.record_failure(account)
            if auth.is_locked(account):
                error = auth.lock_message(account)
    db.session.commit()
    return _page("login.html", 401, error=error or _generic_login_error(), id_number=id_number)


@bp.route("/activate", methods=["GET", "POST"])
def activate():
    ctx = {"questions": auth.RECOVERY_QUESTIONS, "days": auth.code_days()}
    if request.method == "GET":
        return _page("activate.html", **ctx)
    form = forms.ActivationForm()
    ctx["form"] = request.form  # what was typed, shown again
    code = form.code.data
    pending = [a for a in auth.accounts_for(form.id_number.data or "")
               if a.activation_code_hash]
    match, locked = None, None
    for account in pending:
        if auth.is_locked(account):
            locked = account
            continue
        if auth.check_hash(account.activation_code_hash, code):
            match = account
            break
    if not pending:
        auth.check_hash(None, code)
    if match is None:
        for account in pending:
            if not auth.is_locked(account):
                auth.record_failure(account)
        db.session.commit()
        error = auth.lock_message(locked) if locked else _l(
            "The ID number or the activation code is wrong.")
        return _page("activate.html", 401, error=error, **ctx)
    if match.activation_expires is None or match.activation_expires < auth.now():
        return _page("activate.html", 401, error=_l(
            "This activation code expired on %(date)s. Ask your school for a new one.",
            date=match.activation_expires.strftime("%Y-%m-%d %H:%M")
            if match.activation_expires else "—"), **ctx)
    form.candidate = match.candidate
    if not form.validate():
        return _page("activate.html", 400, errors=form.errors, **ctx)
    g.audit_actor = (None, f"candidate:{match.candidate_id}")
    match.password_hash = auth.make_hash(form.password.data)
    match.recovery_question = form.question.data
    match.recovery_answer_hash = auth.make_hash(form.answer.data)
    match.activation_code_hash = match.activation_expires = None
    match.failed_logins, match.locked_until = 0, None
    match.last_login = auth.now()
    db.session.commit()
    auth.start_session(match)
    flash(_("Your account is active. Keep your password to yourself."), "success")
    return redirect(url_for(".home"))


@bp.route("/recover", methods=["GET", "POST"])
def recover():
    if request.method == "GET":
        return _page("recover.html")
    form = forms.ResetForm()
    id_number = form.id_number.data
    if not id_number:
        return _page("recover.html", 400, error=_l("Enter your ID number or candidate number."))
    accounts = [a for a in auth.accounts_for(id_number)
                if a.password_hash and a.recovery_answer_hash]
    # Whether the number has an account is not told: unknown numbers get a stand-in question
    # (always the same one for the same number) and every answer is "wrong or locked".
    question = accounts[0].recovery_question if accounts else auth.decoy_question(id_number)
    ctx = {"id_number": id_number, "question": question}
    if form.step.data != "reset":
        return _page("recover.html", **ctx)
    answer = form.answer.data
    match = None
    for account in accounts:
        if not auth.is_locked(account) and auth.check_hash(account.recovery_answer_hash, answer):
            match = account
            break
    if not accounts:
        auth.check_hash(None, answer)
    if match is None:
        for account in accounts:
            if not auth.is_locked(account):
                auth.record_failure(account)
        db.session.commit()
        return _page("recover.html", 401, error=_l(
            "The answer is wrong, or the account is locked for a while after repeated "
            "failures. Try again later, or ask your school for a new activation code."), **ctx)
    form.candidate = match.candidate
    if not form.validate():
        return _page("recover.html", 400, errors=form.errors, **ctx)
    g.audit_actor = (None, f"candidate:{match.candidate_id}")
    match.password_hash = auth.make_hash(form.password.data)
    match.failed_logins, match.locked_until = 0, None
    match.last_login = auth.now()
    db.session.commit()
    auth.start_session(match)
    flash(_("Your new password is set."), "success")
    return redirect(url_for(".home"))


@bp.route("/logout", methods=["POST"])
def logout():
    auth.end_session(g.ss_account)  # server-side: a copied cookie stops working too
    flash(_("You have logged out."), "info")
    return redirect(url_for(".login"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    account = g.ss_account
    if request.method == "GET":
        return _page("password.html", questions=auth.RECOVERY_QUESTIONS,
                     question=account.recovery_question)
    form = forms.PasswordChangeForm()
    # A wrong current password counts toward the account lock like a wrong log-in: a session
    # left open on a shared computer must not become a way to guess the password.
    if auth.is_locked(account) or not auth.check_hash(account.password_hash,
                                                       form.current.data or ""):
        if not auth.is_locked(account):
            auth.record_failure(account)
        db.session.commit()
        if auth.is_locked(account):
            message = auth.lock_message(account)
            auth.end_session()
            flash(str(message), "error")
            return redirect(url_for(".login"))
        return _page("password.html", 400, questions=auth.RECOVERY_QUESTIONS,
                     question=account.recovery_question,
                     errors={"current": [_l("The current password is wrong.")]})
    form.candidate = g.candidate
    if not form.validate():
        return _page("password.html", 400, questions=auth.RECOVERY_QUESTIONS,
                     question=account.recovery_question, errors=form.errors)
    account.password_hash = auth.make_hash(form.password.data)
    account.failed_logins = 0
    if form.recovery_given():
        account.recovery_question = form.question.data
        account.recovery_answer_hash = auth.make_hash(form.answer.data)
    db.session.commit()
    auth.start_session(account)  # keeps this session, ends the others
    flash(_("Your password has been changed."), "success")
    return redirect(url_for(".home"))


# --- status and confirmation ----------------------------------------------------------------


def status_refusal(cand, window):
    """Why the candidate may not change the record now (``policy.refusal``), for the status
    page, which has just computed the countdown's ``window`` (:func:`window_info`): when that
    says open, or not time-limited, the phase data need not be read again. Writes ask
    ``policy.check_change`` afresh."""
    known_open = window is None or window["status"] == "open"
    return policy.refusal(cand, policy.CANDIDATE, None if known_open else SELF_REGISTRATION)


_WINDOWS = {}


def cached_windows(cand):
    """``rules.windows`` for the status page, kept per process for
    SELF_SERVICE_WINDOW_CACHE_SECONDS (phases change rarely; the countdown is display only:
    every write asks ``check_open_for`` afresh)."""
    ttl = float(current_app.config.get("SELF_SERVICE_WINDOW_CACHE_SECONDS", 10))
    key = (cand.exam_id, cand.category, cand.node_id)
    hit = _WINDOWS.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    found = [(_PhaseView(p.name, p.start, p.category, p.hours_label if p.hours else None), end)
             for p, end in
             windows(cand.exam_id, SELF_REGISTRATION, cand.category, cand.node)]
    if len(_WINDOWS) > 10000:
        _WINDOWS.clear()
    _WINDOWS[key] = (now, found)
    return found


def window_info(cand):
    """The self-registration window for the countdown, or None when not time-limited."""
    found = cached_windows(cand)
    if not found:
        return None
    now = now_local()
    applicable = [(p, e) for p, e in found if p.category in (None, cand.category)]
    if not applicable:  # only other categories have a window: closed for this candidate
        phase, end = found[0]
        return {"status": "closed", "name": phase.name, "start": phase.start, "end": end}
    current = [(p, e) for p, e in applicable if p.start <= now <= e]
    if current:
        phase, end = max(current, key=lambda pe: pe[1])
        status = "open"
    else:
        upcoming = sorted([(p, e) for p, e in applicable if p.start > now], key=lambda pe: pe[0].start)
        phase, end = upcoming[0] if upcoming else max(applicable, key=lambda pe: pe[1])
        status = "upcoming" if upcoming else "closed"
    left = int(((end if status == "open" else phase.start) - now).total_seconds())
    return {"status": status, "name": phase.name, "start": phase.start, "end": end,
            "daily_hours": phase.hours,  # phase conditions' daily hours, None: all day
            "days": left // 86400, "hours": left % 86400 // 3600, "minutes": left % 3600 // 60,
            "end_ms": int(end.replace(tzinfo=TZ).timestamp() * 1000)}


def completeness(cand, guardians=None):
    """What is missing before confirming (``guardians``: the count when ``cand`` is the status
    page's summary). 成人高考 records are checked against the preference and point rules."""
    problems = []
    if not cand.phone:
        problems.append(_l("Enter your mobile number."))
    if guardians is None:
        guardians = len(cand.guardians)
    if cand.exam and cand.exam.kind == ZHONGZHAO and not guardians:
        problems.append(_l("Add at least one guardian."))
    if cand.exam and cand.exam.kind == ADULT:
        from .adult_info import basic_info_problems  # (adultinfo: 成人高考 基本信息)

        problems += basic_info_problems(cand) + confirmation_problems(cand)
    return problems


def unlock_notice(cand):
    """The reason an upper level gave when it unlocked the signed record (the unlock form
    tells staff the candidate sees it), while that unlock stands: None when the record is
    locked, never was unlocked, or was locked again since."""
    if cand.locked:
        return None
    last = db.session.execute(_unlock_statement(), {"cid": cand.id}).first()
    return last if last is not None and last.action == "unlock" else None


@cache
def _unlock_statement():
    """Built once per process (the status page runs it on every load)."""
    return (select(ReviewEvent.action, ReviewEvent.reason, ReviewEvent.at)
            .where(ReviewEvent.candidate_id == bindparam("cid"),
                   ReviewEvent.qualification_id.is_(None),
                   ReviewEvent.action.in_(("mark_signed", "unlock", "relock")))
            .order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc()).limit(1))


@bp.route("/")
def home():
    cand = g.candidate
    window = window_info(cand)
    refusal = status_refusal(cand, window)
    adult = cand.exam.kind == ADULT
    missing = []
    if refusal is None:
        # 成人高考: the rules need the preferences and the point, so the full record.
        missing = completeness(db.session.get(Candidate, cand.id) if adult else cand,
                               cand.guardian_count)
    return _page("status.html", cand=cand, window=window, refusal=refusal, missing=missing,
                 ticket=cand.has_ticket,
                 ticket_refusal=ticket_refusal(cand) if cand.has_ticket else None,
                 can_print=confirmed_by_candidate(cand.state), adult=adult,
                 qualifications=qualification_results(cand.id),
                 downloads=[k for k in DOWNLOADS
                            if k != "ticket" and downloadable(k, cand.exam.kind)],
                 pledge=pledge if adult else None, unlocked=unlock_notice(cand))


@bp.route("/confirm", methods=["POST"])
def confirm():
    cand = g.candidate
    try:
        missing = completeness(cand)
        # The box carries the wording's version: a page showing older wording must be reloaded.
        if cand.exam.kind == ADULT and request.form.get("pledge") != pledge.PLEDGE_VERSION:
            missing.append(_l("Read the integrity pledge and tick the box to accept it."))
        if missing:
            raise Refused(" ".join(str(m) for m in missing))
        apply(cand, "confirm", None, expected_version=request.form.get("version"))
        if cand.exam.kind == ADULT:
            # 诚信考试承诺书: who accepted which wording when (the audit row's time).
            _event("pledge", {"event": "integrity_pledge", "version": pledge.PLEDGE_VERSION,
                              "candidate_id": cand.id})
        db.session.commit()
        if cand.exam.kind == ADULT:
            flash(_("Your information is confirmed. Take your ID card and documents to %(point)s "
                    "for the on-site confirmation.", point=cand.node.name), "success")
        else:
            flash(_("Your information is confirmed. Your school will review it."), "success")
    except Refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except StaleDataError:
        db.session.rollback()
        flash(_("Your record was changed by someone else meanwhile; check it and confirm again."),
              "error")
    return redirect(url_for(".home"))


# --- my information ---------------------------------------------------------------------------


def _info_page(status=200, errors=None, values=None, target=None):
    cand = g.candidate
    return _page("info.html", status, cand=cand,
                 refusal=policy.refusal(cand, policy.CANDIDATE, SELF_REGISTRATION),
                 id_masked=mask_id_number(cand.id_number),
                 relations=codes.choices(codes.GUARDIAN_RELATIONS, lang=None),
                 errors=errors or {}, values=values or {}, target=target)


@bp.route("/info")
def info():
    return _info_page()


def refused_write(activity=SELF_REGISTRATION):
    """Ask the policy whether the candidate may change the record now; when not, flash the
    reason and return the refusal (the caller answers with its page, 403)."""
    try:
        policy.check_change(g.candidate, policy.CANDIDATE, activity)
    except Refused as exc:
        flash(str(exc), "error")
        return exc
    return None


def _guarded_write(change):
    """Run ``change()`` when the record may change; commit, or report why not."""
    if refused_write() is not None:
        return _info_page(403)
    return _commit_change(change)


def _commit_change(change):
    try:
        change()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(_("Your record was changed by someone else meanwhile; check it and save again."),
              "error")
        return redirect(url_for(".info"))
    flash(_("Saved."), "success")
    return redirect(url_for(".info"))


def _own(model, pk):
    row = db.session.execute(select(model).where(
        model.id == pk, model.candidate_id == g.candidate.id)).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def _form_write(kind, form_class, apply_values, target=None):
    """The write of one form of 我的信息: refused as the policy says, else validated (the page
    again with the errors beside the fields, 400), else applied and committed."""
    if refused_write() is not None:
        return _info_page(403)
    form = form_class()
    if not form.validate():
        return _info_page(400, errors={kind: form.errors}, values={kind: request.form},
                          target=target)
    return _commit_change(lambda: apply_values(form.values()))


@bp.route("/info/contact", methods=["POST"])
def contact():
    return _form_write("contact", forms.ContactForm, lambda v: _assign(g.candidate, v))


def _assign(row, values):
    for key, value in values.items():
        setattr(row, key, value)


@bp.route("/guardians", methods=["POST"])
def guardian_add():
    return _form_write("guardian", forms.GuardianForm,
                       lambda v: g.candidate.guardians.append(Guardian(**v)))


@bp.route("/guardians/<int:pk>", methods=["POST"])
def guardian_edit(pk):
    row = _own(Guardian, pk)
    return _form_write("guardian", forms.GuardianForm, lambda v: _assign(row, v), target=pk)


@bp.route("/guardians/<int:pk>/delete", methods=["POST"])
def guardian_delete(pk):
    row = _own(Guardian, pk)
    return _guarded_write(lambda: g.candidate.guardians.remove(row))


@bp.route("/studies", methods=["POST"])
def study_add():
    return _form_write("study", forms.StudyForm,
                       lambda v: g.candidate.studies.append(StudyHistory(**v)))


@bp.route("/studies/<int:pk>", methods=["POST"])
def study_edit(pk):
    row = _own(StudyHistory, pk)
    return _form_write("study", forms.StudyForm, lambda v: _assign(row, v), target=pk)


@bp.route("/studies/<int:pk>/delete", methods=["POST"])
def study_delete(pk):
    row = _own(StudyHistory, pk)
    return _guarded_write(lambda: g.candidate.studies.remove(row))


# --- photo ------------------------------------------------------------------------------------


def _photo_page(status=200, failures=None):
    from ..photos.models import PHOTO
    from ..photos.service import PHOTO_CAPTURE, current_photo
    from ..photos.views import MAX_UPLOAD_BYTES

    cand = g.candidate
    return _page("photo.html", status, cand=cand, photo=current_photo(cand.id, PHOTO),
                 refusal=policy.refusal(cand, policy.CANDIDATE, PHOTO_CAPTURE, policy.PHOTO),
                 failures=failures or [],
                 max_mb=MAX_UPLOAD_BYTES // (1024 * 1024))


@bp.route("/photo")
def photo():
    return _photo_page()


@bp.route("/photo", methods=["POST"])
def photo_upload():
    from ..photos.models import PHOTO
    from ..photos.views import receive_upload, upload_answer, wants_json

    failures, status = receive_upload(g.candidate, PHOTO, None, policy.CANDIDATE)
    # capture.js posts the camera's picture asking for JSON; the plain form gets a page.
    if wants_json():
        return upload_answer(PHOTO, failures, url_for(".photo_file"), status)
    if failures:
        return _photo_page(status, failures)
    flash(_("Your photo is saved."), "success")
    return redirect(url_for(".photo"))


@bp.route("/photo/check", methods=["POST"])
def photo_check():
    """Check-only (a camera snapshot before it is saved): the same verdict, nothing stored."""
    from ..photos.models import PHOTO
    from ..photos.views import check_answer

    return check_answer(g.candidate, PHOTO, policy.CANDIDATE)


@bp.route("/photo/file")
def photo_file():
    from ..photos import storage
    from ..photos.models import PHOTO
    from ..photos.service import current_photo

    row = current_photo(g.candidate.id, PHOTO)
    if row is None:
        abort(404)
    try:
        data = storage.open_bytes(row.file_sha256)
    except FileNotFoundError:
        abort(404)
    resp = Response(data, mimetype="image/jpeg")
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.set_etag(row.file_sha256)
    return resp.make_conditional(request)


# --- forms ------------------------------------------------------------------------------------

#: What a candidate downloads here: the admission ticket once issued (and in its printing
#: window), the others once confirmed.
DOWNLOADS = ("registration", "process", "preferences", "ticket")
#: The 志愿表 is offered only to candidates who fill their preferences here (成人高考).
FILLED_HERE = {"preferences": (ADULT,)}


def downloadable(kind, exam_kind):
    """Whether the candidate of an ``exam_kind`` exam may download ``kind`` here; which exam
    kinds a form exists for is the forms' own rule (``forms.render.form_refusal``)."""
    from ..printing.render import form_refusal

    return (kind in DOWNLOADS and form_refusal(kind, exam_kind) is None
            and exam_kind in FILLED_HERE.get(kind, (exam_kind,)))


def ticket_refusal(cand):
    """None while the admission ticket may be printed (the ``ticket_print`` window when the
    exam configures one), else the translated reason."""
    try:
        check_open_for("ticket_print", cand)
    except PhaseClosed as exc:
        return exc.args[0]
    return None


@bp.route("/forms/<kind>.pdf")
def form_pdf(kind):
    from ..printing.pdf import UnprintableText
    from ..printing.render import NoTicket, render_form_with_code, ticket_for

    cand = g.candidate
    if not downloadable(kind, cand.exam.kind):
        abort(404)
    if kind == "ticket":
        if ticket_for(cand) is None:
            abort(404)
        refusal = ticket_refusal(cand)
        if refusal is not None:
            flash(str(refusal), "error")
            return redirect(url_for(".home"))
    elif not confirmed_by_candidate(cand.state):
        abort(404)  # printed once confirmed
    try:
        pdf, code = render_form_with_code(kind, cand)
    except NoTicket:
        abort(404)
    except UnprintableText as exc:  # a character no font has: no form with a wrong name
        flash(str(exc.message), "error")
        return redirect(url_for(".home"))
    _event("print", {"kind": kind, "candidate_id": cand.id, "code": code, "self_service": True})
    db.session.commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{kind}-{cand.id}.pdf"',
        "Cache-Control": "no-store"})
