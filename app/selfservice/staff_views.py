"""Staff side of self-service: issue or reset a candidate's activation code (开通/重置账号),
one at a time or as printed slips for a class or unit.

Staff never see or set a password: they print a one-time code on a slip for the candidate.
"""
from flask import abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..audit import log_event
from ..candidates.models import Candidate
from ..exams.models import Exam
from ..exams.picker import chosen_exam
from ..extensions import db
from ..jurisdiction import POINT, SCHOOL, Node, current_node, get_scoped_or_404, scoped
from ..validators import mask_id_number
from . import auth
from .models import CandidateAccount

#: Slips issued by one request: each code is hashed (scrypt, ~60 ms), so a class at a time.
BATCH_LIMIT = 100
PAGE_SIZE = 100


def _account(candidate):
    return db.session.execute(select(CandidateAccount).where(
        CandidateAccount.candidate_id == candidate.id)).scalar_one_or_none()


def _accounts_of(candidate_ids):
    """{candidate id: account} for the candidates of one page (those with an account)."""
    return {a.candidate_id: a for a in db.session.execute(select(CandidateAccount).where(
        CandidateAccount.candidate_id.in_(candidate_ids))).scalars()}


def _was_usable(account):
    return account is not None and (account.activation_code_hash is not None
                                    or account.password_hash is not None)


def _audit_issue(candidate, account, reset, batch=False):
    # log_event commits; the action column holds 10 characters ("activation_code" in details).
    log_event("activation", "ks_candidate", {
        "event": "activation_code", "reset": reset, "batch": batch,
        "candidate_id": candidate.id, "expires": account.activation_expires.isoformat()},
        row_id=candidate.id)


def _slip(candidate, account, code, reset):
    return {"candidate": candidate, "code": code, "code_display": f"{code[:4]}-{code[4:]}",
            "expires": account.activation_expires, "reset": reset,
            "id_masked": mask_id_number(candidate.id_number)}


def _no_store(html):
    resp = make_response(html)
    resp.headers["Cache-Control"] = "no-store"
    return resp


class ActivationView(BaseView):
    route_base = "/activation"
    class_permission_name = "ActivationView"
    base_permissions = ["can_issue"]
    method_permission_name = {"show": "issue", "issue": "issue"}
    default_view = "show"

    @expose("/<int:candidate_id>")
    @has_access
    def show(self, candidate_id):
        candidate = get_scoped_or_404(Candidate, candidate_id)
        return self.render_template("selfservice/staff_activation.html", candidate=candidate,
                                    account=_account(candidate), now=auth.now(),
                                    id_masked=mask_id_number(candidate.id_number))

    @expose("/<int:candidate_id>", methods=["POST"])
    @has_access
    def issue(self, candidate_id):
        candidate = get_scoped_or_404(Candidate, candidate_id)
        previous = _account(candidate)
        reset = _was_usable(previous)
        account, code = auth.issue_code(candidate, previous)
        db.session.commit()
        _audit_issue(candidate, account, reset)
        return _no_store(self.render_template("selfservice/staff_slip.html",
                                              slips=[_slip(candidate, account, code, reset)]))


# --- the accounts of a unit ---------------------------------------------------------------------


def account_state(account, now):
    """not_issued / pending / expired / active / locked, for the list and the batch."""
    if account is None or (account.password_hash is None and account.activation_code_hash is None):
        return "not_issued"
    if account.password_hash is None:
        return "pending" if account.activation_expires and account.activation_expires > now \
            else "expired"
    return "locked" if auth.is_locked(account, now) else "active"


class CandidateAccountView(BaseView):
    """考生账号: the candidates of a unit with their self-service account state, single codes
    and printed slips for a class or the whole unit."""

    route_base = "/accounts"
    class_permission_name = "CandidateAccountView"
    base_permissions = ["can_list", "can_issue"]
    method_permission_name = {"list": "list", "slips": "issue"}
    default_view = "list"

    def _units(self):
        return db.session.execute(scoped(select(Node).where(
            Node.kind.in_((SCHOOL, POINT)), Node.active.is_(True)), Node)
            .order_by(Node.path)).scalars().all()

    def _selection(self, args):
        """(units, unit, exams, exam, classes, class_name) from the request, inside the scope."""
        units = self._units()
        own = current_node()
        unit_id = args.get("node_id", type=int)
        if unit_id is not None:
            unit = next((u for u in units if u.id == unit_id), None)  # outside the scope: 404
        else:
            unit = next((u for u in units if own is not None and u.id == own.id),
                        units[0] if units else None)
        if unit is None:
            abort(404)
        exams = db.session.execute(
            select(Exam).where(Exam.id.in_(select(Candidate.exam_id).where(
                Candidate.node_id == unit.id))).order_by(Exam.year.desc(), Exam.id)
        ).scalars().all()
        exam = chosen_exam(args.get("exam_id"), exams=exams)
        classes = []
        if exam is not None:
            classes = [c for (c,) in db.session.execute(
                select(Candidate.class_name).where(Candidate.node_id == unit.id,
                                                   Candidate.exam_id == exam.id,
                                                   Candidate.class_name.is_not(None))
                .distinct().order_by(Candidate.class_name))]
        class_name = args.get("class_name") or None
        if class_name not in classes:
            class_name = None
        return units, unit, exams, exam, classes, class_name

    def _candidates(self, unit, exam, class_name):
        stmt = (select(Candidate, CandidateAccount)
                .outerjoin(CandidateAccount, CandidateAccount.candidate_id == Candidate.id)
                .where(Candidate.node_id == unit.id, Candidate.exam_id == exam.id))
        if class_name is not None:
            stmt = stmt.where(Candidate.class_name == class_name)
        return scoped(stmt, Candidate).order_by(Candidate.class_name, Candidate.student_number,
                                                Candidate.id)

    @expose("/")
    @has_access
    def list(self):
        units, unit, exams, exam, classes, class_name = self._selection(request.args)
        rows, pagination, counts = [], None, {}
        now = auth.now()
        if exam is not None:
            # Flask-SQLAlchemy's pagination (``page`` from the query string) yields the
            # candidates; their accounts are read for the page in one more query.
            stmt = self._candidates(unit, exam, class_name).with_only_columns(Candidate)
            pagination = db.paginate(stmt, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE,
                                     error_out=False)
            accounts = _accounts_of([c.id for c in pagination.items])
            rows = [(c, accounts.get(c.id), account_state(accounts.get(c.id), now),
                     mask_id_number(c.id_number)) for c in pagination.items]
            counts = self._counts(unit, exam, class_name, now)
        return self.render_template(
            "selfservice/staff_accounts.html", units=units, unit=unit, exams=exams, exam=exam,
            classes=classes, class_name=class_name, rows=rows, pagination=pagination,
            counts=counts, batch_limit=BATCH_LIMIT)

    def _counts(self, unit, exam, class_name, now):
        stmt = self._candidates(unit, exam, class_name).with_only_columns(
            Candidate.id, CandidateAccount.password_hash, CandidateAccount.activation_code_hash,
            CandidateAccount.activation_expires, CandidateAccount.locked_until)
        counts = {}
        for row in db.session.execute(stmt):  # rows answer like accounts (all None: none)
            state = account_state(row, now)
            counts[state] = counts.get(state, 0) + 1
        return counts

    @expose("/slips", methods=["POST"])
    @has_access
    def slips(self):
        """Codes for every candidate of the selection without an account or a usable code
        (not yet issued, or expired), at most BATCH_LIMIT; one printable page of slips.
        Active accounts and unexpired codes are left alone: a reset is done one by one."""
        units, unit, exams, exam, classes, class_name = self._selection(request.form)
        if exam is None:
            abort(404)
        now = auth.now()
        stmt = self._candidates(unit, exam, class_name).where(or_(
            CandidateAccount.id.is_(None),
            (CandidateAccount.password_hash.is_(None))
            & (CandidateAccount.activation_code_hash.is_(None)
               | (CandidateAccount.activation_expires <= now))))
        wanted = db.session.execute(stmt.limit(BATCH_LIMIT + 1)).all()
        more = len(wanted) > BATCH_LIMIT
        issued = []
        for candidate, account in wanted[:BATCH_LIMIT]:
            account, code = auth.issue_code(candidate, account)
            issued.append((candidate, account, code))
        db.session.commit()
        for candidate, account, _code in issued:
            _audit_issue(candidate, account, False, batch=True)
        if not issued:
            flash(_("Every candidate of this selection already has an account or an unexpired "
                    "code. Reset a single account from its row."), "info")
            return redirect(url_for("CandidateAccountView.list", node_id=unit.id,
                                    exam_id=exam.id, class_name=class_name or ""))
        return _no_store(self.render_template(
            "selfservice/staff_slip.html", more=more, batch_limit=BATCH_LIMIT,
            back=url_for("CandidateAccountView.list", node_id=unit.id, exam_id=exam.id,
                         class_name=class_name or ""),
            slips=[_slip(c, a, code, False) for c, a, code in issued]))
