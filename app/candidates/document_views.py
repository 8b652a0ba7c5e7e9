"""证件审核 screens: the point records a document copy on the candidate's page, the city lists
the submitted checks of its subtree and approves or rejects each (candidates/documents.py
holds the rules)."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import codes, filestore, transitions
from ..audit import log_event
from ..base_views import ScopedModelView
from ..extensions import db
from ..jurisdiction import get_scoped_or_404
from ..scans import read_scan
from . import documents
from .models import Candidate, DocumentCheck


def submit_copy(check, version):
    """Submit the posted copy (``copy``) of the candidate's document to the city (the SUBMIT
    step of ``documents``, checked against the page's ``version``), commit, and delete the copy
    it replaced; raises Refused with nothing changed. The document page and the point's
    现场确认 screen submit through here."""
    copy = read_scan(request.files.get("copy"),
                     missing=_l("Upload the copy of the document (PDF or JPEG)."))
    move = transitions.check(check, documents.TRANSITIONS[documents.SUBMIT], g.user,
                             documents.STATE_LABELS, expected_version=version or None,
                             context={"copy": copy})
    transitions.apply(move)
    db.session.add(check)
    db.session.commit()
    if move.context.get("replaced"):
        filestore.delete(move.context["replaced"])


class DocumentCheckView(ScopedModelView):
    route_base = "/documents"
    datamodel = SQLAInterface(DocumentCheck)
    list_title = show_title = _l("Document reviews")
    base_permissions = ["can_list", "can_show", "can_record", "can_decide", "can_copy"]
    # Rows are made by submitting a copy and changed by the decisions: no FAB form writes one.
    include_route_methods = {"list", "show", "record", "decide", "copy"}
    list_columns = ["candidate", "id_type", "state", "submitted_by", "submitted_at",
                    "decided_by", "decided_at"]
    show_columns = ["candidate", "id_type", "id_number", "state", "copy_name", "submitted_by",
                    "submitted_at", "decided_by", "decided_at", "reason"]
    search_columns = ["state", "submitted_at"]
    search_form_extra_fields = {}
    base_order = ("submitted_at", "desc")
    label_columns = {"candidate": _l("Candidate"), "id_type": _l("Document type"),
                     "id_number": _l("ID document number"), "state": _l("Review state"),
                     "copy_name": _l("Copy of the document"), "submitted_by": _l("Submitted by"),
                     "submitted_at": _l("Submitted at"), "decided_by": _l("Decided by"),
                     "decided_at": _l("Decided at"), "reason": _l("Reason")}
    formatters_columns = {
        "state": lambda s: documents.STATE_LABELS.get(s, s),
        "id_type": lambda t: codes.label(codes.ID_TYPES, t, lang=None, default=t or ""),
    }
    show_template = "candidates/document_show.html"

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["check"] = item
        widgets["decisions"] = transitions.possible(
            documents.DECISIONS, g.user,
            lambda t: transitions.check(item, t, g.user, documents.STATE_LABELS,
                                        reason="-"))
        return widgets

    @expose("/candidate/<int:candidate_id>", methods=["GET", "POST"])
    @has_access
    @permission_name("record")
    def record(self, candidate_id):
        """The candidate's document and its review; POST submits a copy to the city."""
        candidate = get_scoped_or_404(Candidate, candidate_id)
        check = documents.check_of(candidate)
        if request.method == "POST":
            submit_copy(check, request.form.get("version"))
            flash(_("The copy was submitted to the city for review."), "success")
            return redirect(url_for(".record", candidate_id=candidate.id))
        submit = transitions.possible(
            {documents.SUBMIT: documents.TRANSITIONS[documents.SUBMIT]}, g.user,
            lambda t: transitions.check(check, t, g.user, documents.STATE_LABELS,
                                        context={"copy": True}))
        return self.render_template(
            "candidates/document_record.html", candidate=candidate, check=check,
            needs_review=documents.needs_review(candidate), submit=submit,
            state_label=documents.STATE_LABELS.get(check.state),
            id_type_label=codes.label(codes.ID_TYPES, candidate.id_type, lang=None))

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("decide")
    def decide(self, pk):
        check = get_scoped_or_404(DocumentCheck, pk)
        transition = transitions.find(documents.DECISIONS, request.form.get("action"))
        move = transitions.check(check, transition, g.user, documents.STATE_LABELS,
                                 reason=request.form.get("reason"),
                                 expected_version=request.form.get("version") or None)
        transitions.apply(move)
        db.session.commit()
        flash(_("%(action)s: done.", action=transition.label), "success")
        return redirect(url_for(".show", pk=check.id))

    @expose("/copy/<int:pk>")
    @has_access
    @permission_name("copy")
    def copy(self, pk):
        check = get_scoped_or_404(DocumentCheck, pk)
        response = filestore.send(check.copy_ref, documents.COPIES, check.copy_type or
                                  "application/octet-stream", check.copy_name or "copy")
        if response is None:
            abort(404)
        log_event("download", "ks_document_check", {"file": check.copy_name},
                  row_id=check.id, candidate_id=check.candidate_id)
        db.session.commit()
        return response
