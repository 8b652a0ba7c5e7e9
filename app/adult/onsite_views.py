"""现场确认 screen of the 成人高考 confirmation point (issue 18.4; rules in adult/onsite.py): the
point's candidates by document number or name, and one page per candidate with its document
(the copy for the city recorded here), information, photo (camera or file, the photo
pipeline's checks), 优惠 claim, the pledge tick and 确认 — the first review's approval. The
报名流程表 prints from here, and in batches by unit (also the forwarded 免试 applications'
candidates, for the province)."""
import datetime as dt

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import codes, transitions
from ..audit import log_event
from ..candidates import documents, policy
from ..candidates.document_views import submit_copy
from ..candidates.models import Candidate
from ..codes import ADULT
from ..exams.picker import named_exam
from ..extensions import db
from ..jurisdiction import Node, get_scoped_or_404, scope_clause
from ..phases.rules import PhaseClosed
from ..photos.models import PHOTO
from ..photos.results import shown
from ..photos.service import PHOTO_CAPTURE, current_photo
from ..photos.views import MAX_UPLOAD_BYTES, receive_upload
from ..printing.pdf import UnprintableText
from ..printing.render import NotForExam, render_form_with_code
from ..printing.views import MAX_BATCH_IDS, pdf_response, start_batch
from ..refusals import Refused
from ..review.views import run_transition
from . import exemption, onsite
from . import process_form
from .exemption_models import AdultExemption
from .payment_state import LABELS as PAYMENT_LABELS
from .payment_state import payment_state
from .views import adult_exams, print_units

#: the 报名流程表's context, registered with printing on import of process_form.
FORM_PART = process_form.process_context
#: which candidates a batch of 报名流程表 prints.
BATCH_WHICH = {"confirmed": _l("Confirmed online or later"),
               "onsite": _l("Confirmed on site"),
               "exemption": _l("With an exemption application sent to the province")}


def _today():
    return dt.date.today()


def _parse_date(text):
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _label(table, code):
    return codes.label(table, code, lang=None) if code else None


class AdultOnsiteView(BaseView):
    route_base = "/adult/onsite"
    class_permission_name = "AdultOnsiteView"
    base_permissions = ["can_list", "can_record", "can_confirm", "can_print"]
    method_permission_name = {"index": "list", "show": "list", "process_pdf": "list",
                              "photo": "record", "document": "record", "claim": "record",
                              "confirm": "confirm", "batch": "print"}
    default_view = "index"

    # --- the list -------------------------------------------------------------------------

    @expose("/")
    @has_access
    def index(self):
        exams, exam = adult_exams()
        query = (request.args.get("q") or "").strip()[:40]
        state = request.args.get("state") or None
        page = max(request.args.get("page", type=int) or 0, 0)
        rows, total = onsite.search(exam.id, g.user.node, query, state, page) if exam \
            else ([], 0)
        return self.render_template(
            "adult/onsite_list.html", exams=exams, exam=exam, rows=rows, total=total,
            query=query, state=state, page=page, page_size=onsite.PAGE_SIZE,
            states=onsite.ONSITE_STATES, state_of=onsite.onsite_state,
            id_type=lambda c: _label(codes.ID_TYPES, c.id_type or codes.ID_CARD))

    # --- one candidate ------------------------------------------------------------------------

    def _candidate(self, candidate_id):
        """The candidate through the scope (another unit: 404)."""
        return get_scoped_or_404(Candidate, candidate_id)

    def _not_adult(self):
        return self.render_template("adult/onsite_message.html", message=_(
            "Only 成人高考 candidates are confirmed on this screen.")), 400

    @expose("/<int:candidate_id>")
    @has_access
    def show(self, candidate_id):
        candidate = self._candidate(candidate_id)
        if not exemption.is_adult(candidate):
            return self._not_adult()
        return self._page(candidate)

    def _page(self, candidate, status=200, error=None, photo_failures=None, form=None):
        sm = self.appbuilder.sm
        c = candidate
        check = documents.check_of(c)
        bonus, exempt = exemption.bonus_of(c), exemption.exemption_of(c)
        photo = current_photo(c.id, PHOTO)
        claim = transitions.possible(
            {exemption.CLAIM: exemption.BONUS_TRANSITIONS[exemption.CLAIM]}, g.user,
            lambda t: transitions.check(bonus, t, g.user, exemption.BONUS_STATES,
                                        context={"kind": "1", "originals_seen": True}))
        submit = transitions.possible(
            {documents.SUBMIT: documents.TRANSITIONS[documents.SUBMIT]}, g.user,
            lambda t: transitions.check(check, t, g.user, documents.STATE_LABELS,
                                        context={"copy": True}))
        pay_state, payment = payment_state(c)
        may_capture = sm.has_access("can_capture", "PhotoView")
        return self.render_template(
            "adult/onsite_show.html", c=c, error=error, form=form or {},
            id_type=_label(codes.ID_TYPES, c.id_type or codes.ID_CARD),
            needs_review=documents.needs_review(c), check=check,
            check_label=documents.STATE_LABELS.get(check.state), submit=submit,
            basic=self._basic(c), preferences=self._preferences(c),
            photo=photo, photo_failures=photo_failures,
            photo_refusal=policy.refusal(c, policy.STAFF, PHOTO_CAPTURE, policy.PHOTO),
            may_capture=may_capture, may_record=sm.has_access("can_record", "AdultOnsiteView"),
            may_confirm=sm.has_access("can_confirm", "AdultOnsiteView"),
            max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
            bonus=bonus, bonus_state=exemption.BONUS_STATES.get(bonus.state),
            bonus_kinds=[(code, label) for code, (label, _p, _m)
                         in exemption.BONUS_KINDS.items()],
            bonus_kind_label=exemption.bonus_kind_label, claim=claim,
            exempt=exempt, exempt_state=exemption.EXEMPTION_STATES.get(exempt.state),
            exempt_kind=exemption.exemption_kind_label(exempt.kind),
            payment_label=PAYMENT_LABELS[pay_state], payment=payment,
            record=onsite.onsite_of(c), checklist=onsite.checklist(c, g.user),
            onsite_state=onsite.ONSITE_STATES[onsite.onsite_state(c.state)],
            confirmed=onsite.onsite_state(c.state) == onsite.DONE,
            principal=g.user.get_full_name(), today=_today().isoformat()), status

    @staticmethod
    def _basic(c):
        return [(_l("Candidate number"), c.candidate_number), (_l("Full name"), c.name),
                (_l("Gender"), _label(codes.GENDERS, c.gender)),
                (_l("Date of birth"), c.birth_date),
                (_l("Ethnicity"), _label(codes.ETHNICITIES, c.ethnicity)),
                (_l("Political status"), _label(codes.POLITICAL_STATUS, c.political_status)),
                (_l("Level applied for"), c.category_label),
                (_l("Education level"), _label(codes.EDUCATION_LEVELS, c.education_level)),
                (_l("Occupation"), _label(codes.OCCUPATIONS, c.occupation)),
                (_l("Graduation school"), c.graduation_school),
                (_l("Phone"), c.phone), (_l("Address"), c.address),
                (_l("Confirmation point"), c.node.name if c.node else None)]

    @staticmethod
    def _preferences(c):
        return [{"seq": p.seq, "level": _label(codes.CANDIDATE_CATEGORIES[ADULT], p.level),
                 "track": _label(codes.ADULT_TRACKS, p.track)
                 or _label(codes.ADULT_MAJOR_CATEGORIES, p.major_category),
                 "school": f"{p.school_code} {p.school_name}",
                 "major": f"{p.major_code} {p.major_name}",
                 "study_form": _label(codes.STUDY_FORMS, p.study_form)}
                for p in c.preferences]

    def _refused(self, candidate_id, exc, **kw):
        """The page again after a refusal (the session rolled back: reloaded)."""
        db.session.rollback()
        candidate = self._candidate(candidate_id)
        return self._page(candidate, status=getattr(exc, "status", 400), error=str(exc), **kw)

    # --- the steps ------------------------------------------------------------------------------

    @expose("/<int:candidate_id>/confirm", methods=["POST"])
    @has_access
    def confirm(self, candidate_id):
        """确认: one transaction — the checks of onsite.confirm, the first review's approval,
        the point's record; refused with the reason and nothing changed."""
        candidate = self._candidate(candidate_id)
        if not exemption.is_adult(candidate):
            return self._not_adult()
        form = request.form
        refusal = run_transition(candidate, onsite.APPROVE, form.get("version"),
                                 apply_fn=onsite.confirm, pledge=form.get("pledge") == "1",
                                 documents_seen=form.get("documents_seen") == "1",
                                 principal_name=form.get("principal_name"),
                                 signed_on=_parse_date(form.get("signed_on")))
        if refusal is not None:
            exc, message = refusal
            candidate = self._candidate(candidate_id)
            status = getattr(exc, "status", 403)
            return self._page(candidate, status=status, error=message, form=form)
        flash(_("%(name)s is confirmed on site.", name=candidate.name), "success")
        return redirect(url_for(".show", candidate_id=candidate_id))

    @expose("/<int:candidate_id>/photo", methods=["POST"])
    @has_access
    def photo(self, candidate_id):
        """The photo file (the ID card reader's, or any picture): the capture page's own
        upload path and checks (photos.views.receive_upload)."""
        candidate = self._candidate(candidate_id)
        if not exemption.is_adult(candidate):
            return self._not_adult()
        if not self.appbuilder.sm.has_access("can_capture", "PhotoView"):
            abort(403)
        failures, status = receive_upload(candidate, PHOTO, g.user)
        if failures:
            db.session.rollback()
            messages = {f.code: str(f.message) for f in failures}
            rows = shown(getattr(failures, "rows", []) or [], messages)
            return self._page(self._candidate(candidate_id), status=status,
                              error=_("The photo was not saved: %(why)s",
                                      why="；".join(messages.values())),
                              photo_failures=rows)
        flash(_("Photo saved."), "success")
        return redirect(url_for(".show", candidate_id=candidate_id) + "#photo")

    @expose("/<int:candidate_id>/document", methods=["POST"])
    @has_access
    def document(self, candidate_id):
        """The copy of a document other than the 居民身份证, for the city's 证件审核
        (candidates/documents.py: the same step as on the document page)."""
        candidate = self._candidate(candidate_id)
        if not exemption.is_adult(candidate):
            return self._not_adult()
        try:
            submit_copy(documents.check_of(candidate), request.form.get("check_version"))
        except Refused as exc:
            return self._refused(candidate_id, exc)
        flash(_("The copy was submitted to the city for review."), "success")
        return redirect(url_for(".show", candidate_id=candidate_id) + "#document")

    @expose("/<int:candidate_id>/claim", methods=["POST"])
    @has_access
    def claim(self, candidate_id):
        """The 照顾加分 the candidate claims, its originals seen: the city's entry starts
        from it (exemption.CLAIM)."""
        candidate = self._candidate(candidate_id)
        if not exemption.is_adult(candidate):
            return self._not_adult()
        row = exemption.bonus_of(candidate)
        form = request.form
        try:
            move = transitions.check(
                row, exemption.BONUS_TRANSITIONS[exemption.CLAIM], g.user,
                exemption.BONUS_STATES, expected_version=form.get("bonus_version") or None,
                context={"kind": form.get("kind"), "note": form.get("note"),
                         "originals_seen": form.get("originals_seen") == "1"})
            transitions.apply(move)
            db.session.add(row)
            db.session.commit()
        except (Refused, PhaseClosed) as exc:
            return self._refused(candidate_id, exc, form=form)
        flash(_("The claimed policy is recorded; the city enters the bonus from it."),
              "success")
        return redirect(url_for(".show", candidate_id=candidate_id) + "#preferential")

    @expose("/<int:candidate_id>/process.pdf")
    @has_access
    def process_pdf(self, candidate_id):
        """The candidate's 报名流程表 (the ``process`` form)."""
        candidate = self._candidate(candidate_id)
        try:
            pdf, code = render_form_with_code("process", candidate)
        except (NotForExam, UnprintableText) as exc:
            return self.render_template("adult/onsite_message.html",
                                        message=str(exc.message)), 400
        log_event("print", "ks_candidate", {"kind": "process", "candidate_id": candidate.id,
                                            "code": code}, row_id=candidate.id)
        db.session.commit()
        return pdf_response(pdf, f"process-{candidate.id}.pdf")

    # --- batches --------------------------------------------------------------------------------

    def _batch_page(self, error=None, status=200):
        exams, exam = adult_exams()
        return self.render_template("adult/onsite_batch.html", exams=exams, exam=exam,
                                    units=print_units(), which=BATCH_WHICH, error=error,
                                    form=request.form), status

    @expose("/batch", methods=["GET", "POST"])
    @has_access
    def batch(self):
        """报名流程表 of a unit's candidates (city, province, county or point), or of every
        candidate whose 免试 application was sent to the province: one batch print job."""
        if request.method == "GET":
            return self._batch_page()
        exam = named_exam(request.form.get("exam"), ADULT) or adult_exams()[1]
        if exam is None:
            return self._batch_page(_("Choose an exam."), 400)
        unit = get_scoped_or_404(Node, request.form.get("node") or g.user.node.id)
        which = request.form.get("which") or "confirmed"
        if which not in BATCH_WHICH:
            return self._batch_page(_("Choose which candidates to print."), 400)
        ids = self._batch_ids(exam, unit, which)
        if not ids:
            return self._batch_page(_("No candidate of %(unit)s matches.", unit=unit.name), 400)
        if len(ids) > MAX_BATCH_IDS:
            return self._batch_page(_("Too many candidates in one batch."), 400)
        return start_batch("process", exam.id, {"ids": ids, "of": unit.id, "which": which},
                           {"node_id": unit.id, "which": which, "count": len(ids)})

    @staticmethod
    def _batch_ids(exam, unit, which):
        stmt = select(Candidate.id).where(Candidate.exam_id == exam.id,
                                          scope_clause(Candidate, unit),
                                          scope_clause(Candidate, g.user.node))
        if which == "exemption":
            stmt = stmt.join(AdultExemption, AdultExemption.candidate_id == Candidate.id) \
                .where(exemption.forwarded_clause())
        else:
            stmt = stmt.where(onsite.state_clause(onsite.DONE if which == "onsite"
                                                  else onsite.CONFIRMED_OR_LATER))
        return list(db.session.execute(stmt.order_by(
            Candidate.node_id, Candidate.candidate_number, Candidate.id)
            .limit(MAX_BATCH_IDS + 1)).scalars())
