"""Printing screens: single forms, the blank draft, publicity lists and batch printing.

Every candidate is loaded through the jurisdiction scope (another county: 404), every print
is written to the audit log, and batches are scoped by the requesting user's unit.
"""
import functools
import re

from flask import Response, abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import filestore
from ..audit import log_event
from ..candidates.models import Candidate
from ..exams.models import Exam
from ..exams.picker import active_exams, chosen_exam
from ..extensions import db
from ..job_records import DONE
from ..jurisdiction import POINT, SCHOOL, Node, get_scoped_or_404, scoped
from ..candidates.states import STATE_LABELS
from . import hooks
from .models import PrintBatch
from .pdf import UnprintableText
from .render import (BATCH_KINDS, CANDIDATE_KINDS, FORMS, NoTicket, NotForExam, form_refusal,
                     forms_for, publicity_candidates, render_form_with_code)
from .tasks import PRINTS, run_batch, unit_classes

BATCH_TIMEOUT = 600
MAX_BATCH_IDS = 20000
_IDS_SPLIT = re.compile(r"[\s,，;；]+")


def _parse_ids(text):
    return [int(x) for x in _IDS_SPLIT.split(text or "") if x.isdigit()]


def pdf_response(data, filename):
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"',
        "Cache-Control": "no-store"})


def print_links(candidate_id):
    """``[(kind, label)]`` a candidate's page offers: the forms that exist for its exam kind
    (``_print_links.html``); empty outside the user's scope."""
    candidate = db.session.execute(scoped(select(Candidate).where(
        Candidate.id == candidate_id), Candidate)).scalar_one_or_none()
    if candidate is None:
        return []
    return [(k, FORMS[k].label) for k in forms_for(candidate.exam.kind if candidate.exam else None)]


def start_batch(kind, exam_id, selection, details):
    """Record the signed-in user's batch print of ``kind`` (``selection``: what the job
    prints), log the print event (``details`` after the kind, batch and exam), start the job;
    the redirect to its progress page. Every batch print screen starts its batch here."""
    batch = PrintBatch(user_id=g.user.id, node_path=g.user.node.path, kind=kind,
                       exam_id=exam_id, selection=selection)
    db.session.add(batch)
    db.session.commit()
    log_event("print", "ks_candidate", {"kind": kind, "batch_id": batch.id, "exam_id": exam_id,
                                        **details})
    batch_id = batch.start_job(run_batch, timeout=BATCH_TIMEOUT, description="print batch")
    return redirect(url_for("PrintView.batch_progress", batch_id=batch_id))


class PrintView(BaseView):
    route_base = "/print"
    class_permission_name = "PrintView"
    method_permission_name = {m: "print" for m in (
        "single", "draft", "publicity", "publicity_pick", "batch_form", "batch_start", "batch_progress",
        "batch_status", "batch_download", "batch_classes")}
    default_view = "batch_form"

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint, static_folder)
        blueprint.add_app_template_global(print_links, "print_links")
        return blueprint

    # --- single forms -------------------------------------------------------------------

    @expose("/<kind>/<int:candidate_id>.pdf")
    @has_access
    def single(self, kind, candidate_id):
        if kind not in CANDIDATE_KINDS:
            abort(404)
        candidate = get_scoped_or_404(Candidate, candidate_id)
        if kind == "registration":
            # Before rendering: if the hook changes the record (and so its version), the
            # code on the paper is that of the record as it stands after printing.
            hooks.registration_printed(candidate)
            db.session.flush()
        try:
            pdf, code = render_form_with_code(kind, candidate)
        except NoTicket as exc:
            return self._message(exc.message, 404)
        except (NotForExam, UnprintableText) as exc:
            return self._message(exc.message, 400)
        log_event("print", "ks_candidate", {"kind": kind, "candidate_id": candidate.id,
                                            "code": code}, row_id=candidate.id)
        return pdf_response(pdf, f"{kind}-{candidate.id}.pdf")

    @expose("/draft.pdf")
    @has_access
    def draft(self):
        pdf, code = render_form_with_code("draft")
        log_event("print", "ks_candidate", {"kind": "draft", "code": code})
        return pdf_response(pdf, "draft.pdf")

    @expose("/publicity/<int:node_id>.pdf")
    @has_access
    def publicity(self, node_id):
        unit = get_scoped_or_404(Node, node_id)
        if unit.kind not in (SCHOOL, POINT):
            abort(404)
        exam = db.session.get(Exam, request.args.get("exam", type=int) or 0)
        if exam is None:
            return self._message(_l("Choose an exam."), 400)
        # 公示 is posted per review result: ?state=school_approved lists that state only.
        state = request.args.get("state") or None
        if state is not None and state not in STATE_LABELS:
            abort(404)
        candidates = publicity_candidates(unit, exam.id, state)
        try:
            pdf, code = render_form_with_code("publicity", node=unit, exam=exam,
                                              candidates=candidates)
        except UnprintableText as exc:
            return self._message(exc.message, 400)
        log_event("print", "ks_candidate", {"kind": "publicity", "node_id": unit.id,
                                            "exam_id": exam.id, "count": len(candidates),
                                            "state": state, "code": code})
        return pdf_response(pdf, f"publicity-{unit.code}-{exam.id}.pdf")

    @expose("/publicity")
    @has_access
    def publicity_pick(self):
        """The 公示 menu entry: without a unit, the page choosing unit, exam and review state
        (the newest active exam preselected); with one, that unit's list."""
        node_id = request.args.get("node", type=int)
        if node_id:
            unit = get_scoped_or_404(Node, node_id)
            return redirect(url_for(".publicity", node_id=unit.id,
                                    exam=request.args.get("exam", ""),
                                    state=request.args.get("state", "")))
        units, exams = self._units(), active_exams()
        if not units:
            return self._message(_l("There is no school or registration point in your area."), 200)
        if not exams:
            return self._message(_l("There is no active exam."), 200)
        return self.render_template(
            "forms/publicity_pick.html", units=units, exams=exams, review_states=STATE_LABELS,
            exam=chosen_exam(request.args.get("exam"), exams=exams))

    def _message(self, message, status):
        flash(str(message), "warning")
        return self.render_template("forms/message.html", message=message), status

    # --- batch printing -----------------------------------------------------------------

    def _units(self):
        return db.session.execute(scoped(
            select(Node).where(Node.kind.in_((SCHOOL, POINT)), Node.active.is_(True))
            .order_by(Node.path), Node)).scalars().all()

    def _batch_page(self, error=None, status=200, ids=""):
        recent = db.session.execute(scoped(
            select(PrintBatch).order_by(PrintBatch.id.desc()).limit(20), PrintBatch)).scalars().all()
        return self.render_template(
            "forms/batch.html", kinds=[(k, FORMS[k].label) for k in BATCH_KINDS],
            exams=active_exams(), units=self._units(), recent=recent, forms=FORMS,
            error=error, review_states=STATE_LABELS,
            draft_url=url_for(".draft"), ids=ids, form=request.form), status

    @expose("/batch")
    @has_access
    def batch_form(self):
        # ?ids=1,2,3 (the candidate list's "Batch print" action) prefills the id field.
        return self._batch_page(ids="\n".join(str(i) for i in _parse_ids(
            request.args.get("ids", ""))[:MAX_BATCH_IDS]))

    @expose("/batch/classes")
    @has_access
    def batch_classes(self):
        """The classes of one unit's candidates in one exam (JSON), for the batch form."""
        unit = get_scoped_or_404(Node, request.args.get("node", type=int) or 0)
        exam_id = request.args.get("exam", type=int) or 0
        return jsonify({"classes": unit_classes(unit, exam_id)})

    @expose("/batch", methods=["POST"])
    @has_access
    def batch_start(self):
        kind = request.form.get("kind")
        exam = db.session.get(Exam, request.form.get("exam", type=int) or 0)
        ids = [i for v in request.form.getlist("ids") for i in _parse_ids(v)]
        refused = functools.partial(self._batch_page, status=400, ids=request.form.get("ids", ""))
        if kind not in BATCH_KINDS or g.user.node is None:
            return refused(_("Choose the form to print."))
        if exam is None and not ids:
            return refused(_("Choose an exam."))
        # Listed ids of another exam kind are skipped by the job, one by one.
        refusal = form_refusal(kind, exam.kind) if exam is not None else None
        if refusal is not None:
            return refused(str(refusal))
        unit_id = request.form.get("node", type=int)
        class_name = request.form.get("class_name", "").strip()
        if ids:
            if len(ids) > MAX_BATCH_IDS:
                return refused(_("Too many candidates in one batch."))
            selection = {"ids": ids}
        elif unit_id:
            # Only units the user may see; the job re-checks against the user's subtree.
            unit = get_scoped_or_404(Node, unit_id)
            selection = {"node_id": unit.id}
            if class_name:
                if class_name not in unit_classes(unit, exam.id):
                    return refused(_("%(unit)s has no candidates in class %(cls)s for this exam.",
                                     unit=unit.name, cls=class_name))
                selection["class_name"] = class_name
        else:
            return refused(_("Choose a school or registration point, or list candidate ids."))
        return start_batch(kind, exam.id if exam else None, selection, selection)

    @expose("/batch/<int:batch_id>")
    @has_access
    def batch_progress(self, batch_id):
        batch = get_scoped_or_404(PrintBatch, batch_id)
        return self.render_template("forms/batch_progress.html", batch=batch,
                                    title=FORMS[batch.kind].label)

    @expose("/batch/<int:batch_id>/status")
    @has_access
    def batch_status(self, batch_id):
        batch = get_scoped_or_404(PrintBatch, batch_id)
        return jsonify(batch.status_json(
            url_for(".batch_download", batch_id=batch.id) if batch.result_path else None))

    @expose("/batch/<int:batch_id>/download")
    @has_access
    def batch_download(self, batch_id):
        batch = get_scoped_or_404(PrintBatch, batch_id)
        response = filestore.send(batch.result_path, PRINTS, "application/pdf",
                                  f"print-{batch.kind}-{batch.id}.pdf") \
            if batch.status == DONE else None
        if response is None:
            abort(404)
        log_event("print", "ks_candidate", {"kind": batch.kind, "batch_id": batch.id,
                                            "download": True, "pages": batch.pages})
        return response
