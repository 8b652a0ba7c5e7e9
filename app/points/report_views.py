"""Data reporting (数据上报): a county or city reports an exam's data to the level above on the
submit page; the receiving level accepts or returns reports in list actions."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..candidates.states import STATE_LABELS
from ..exams.picker import active_exams
from ..extensions import db
from ..phases.rules import PhaseClosed
from ..progress import PROGRESS_STATES, progress
from ..refusals import Refused
from ..base_views import CodedInterface
from .models import DataSubmission
from .rules import SUBMISSION_STATES
from .views import PointsTransitionView
from . import workflow

REFUSED = (Refused, PhaseClosed)


class DataSubmissionView(PointsTransitionView):
    route_base = "/data-reports"
    # Reports are made on the submit page and never edited or deleted: they are the record.
    exclude_route_methods = {"download", "add", "edit", "delete"}
    datamodel = CodedInterface(DataSubmission, coded=("state",))
    transitions = workflow.SUBMISSION_ACTIONS
    apply_fn = staticmethod(workflow.decide_submission)
    extra_permissions = ("can_submit",)
    list_title, show_title = _l("Data reports"), _l("Data report")
    list_template = "points/submission_list.html"
    show_template = "points/submission_show.html"
    list_columns = ["node", "exam", "state_label", "total", "submitted_by", "submitted_at",
                    "decided_by", "decided_at", "return_reason"]
    show_columns = list_columns
    search_columns = ["state", "exam"]
    choice_filters = {"state": (_l("State"), SUBMISSION_STATES)}
    base_order = ("submitted_at", "desc")
    label_columns = {
        "node": _l("Reporting unit"), "exam": _l("Exam"), "state": _l("State"),
        "state_label": _l("State"), "total": _l("Records"), "submitted_by": _l("Submitted by"),
        "submitted_at": _l("Submitted at"), "decided_by": _l("Decided by"),
        "decided_at": _l("Decided at"), "return_reason": _l("Reason for return"),
    }

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["snapshot"] = item.snapshot
        widgets["columns"] = _columns()
        return widgets

    @expose("/submit", methods=["GET", "POST"])
    @has_access
    def submit(self):
        """Choose the exam, see the unit's counts and whether it may report, and report."""
        unit = g.user.node
        exams = active_exams()
        # No default: a report is about the exam chosen on purpose, never a fallback.
        exam = next((e for e in exams if str(e.id) == request.values.get("exam")), None)
        if request.method == "POST" and exam is None:
            flash(_l("Choose the exam."), "danger")
        if request.method == "POST" and exam is not None and unit is not None:
            try:
                submission = workflow.submit(unit, exam, g.user)
                db.session.commit()
            except REFUSED as exc:
                db.session.rollback()
                flash(_message(exc), "danger")
            except IntegrityError:
                # Someone of the same unit reported in the same moment (the partial unique
                # index); theirs stands.
                db.session.rollback()
                flash(_l("%(unit)s's data of this exam was reported by someone else just now.",
                         unit=unit.name), "warning")
            else:
                flash(_l("%(unit)s's data has been reported.", unit=unit.name), "success")
                return redirect(url_for(".show", pk=submission.id))
            return redirect(url_for(".submit", exam=exam.id))
        counts = refusal = None
        below = []
        if exam is not None and unit is not None:
            counted = progress(unit, exam.id)
            counts = workflow.snapshot(counted)
            try:
                workflow.check_submit(unit, exam, g.user, counted)
            except REFUSED as exc:
                refusal = _message(exc)
            units = workflow.reporting_units(unit)
            latest = workflow.latest_submissions(exam.id, [u.id for u in units])
            below = [(u, latest.get(u.id)) for u in units]
        history = [] if exam is None or unit is None else db.session.execute(
            select(DataSubmission).where(DataSubmission.exam_id == exam.id,
                                         DataSubmission.node_id == unit.id)
            .order_by(DataSubmission.submitted_at.desc())).scalars().all()
        return self.render_template("points/submit.html", unit=unit, exams=exams, exam=exam,
                                    counts=counts, refusal=refusal, below=below,
                                    history=history, columns=_columns())


def _message(exc):
    return str(exc) if isinstance(exc, Refused) else exc.args[0]


def _columns():
    """(key, label) of the count columns, in the home page's order."""
    return [("total", _l("Records")), *((s, STATE_LABELS[s]) for s in PROGRESS_STATES),
            ("locked", _l("Locked (signed)")), ("photo", _l("Photo captured"))]


DataSubmissionView.install_actions()
