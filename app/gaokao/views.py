"""Screens of the 高考 archive: physical examination results (体检信息), entered by the county's
exam clerk from the paper 考生体格检查表, and integrity records (考试诚信记录), kept by county and
city offices. Both are scoped through the candidate, audited, and show their change history."""
import datetime as dt

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import Select2ManyWidget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import DataRequired
from wtforms.validators import ValidationError as FormError

from ..base_views import CodedInterface, ScopedModelView
from .. import codes as candidate_codes
from ..candidates.picker import CandidatePickerField
from ..codes import ADULT, GAOKAO
from ..validators import form_validator, validate_past_date
from ..exams.picker import active_exams
from ..extensions import db
from ..jurisdiction import get_scoped_or_404
from ..transitions import TransitionRefused, offered, possible
from . import codes, physical_workflow as workflow, rules
from .fields import (MeasureField, candidate_from_link, consistent, gaokao_candidate,
                     integrity_candidate)
from .history import record_history
from .models import IntegrityRecord, PhysicalExam, PhysicalReport
from ..refusals import Refused

SECTIONS = (
    (_l("Examination"), ["serial", "hospital", "exam_date", "doctor", "history"]),
    (_l("Eyes"), ["vision_naked_right", "vision_naked_left", "vision_corrected_right",
                  "vision_corrected_left", "lens_right", "lens_left", "colour_vision",
                  "eye_disease"]),
    (_l("Internal medicine"), ["bp_systolic", "bp_diastolic", "heart", "lungs", "abdomen",
                               "nervous"]),
    (_l("Surgery"), ["height", "weight", "skin", "spine", "limbs"]),
    (_l("Ear, nose and throat"), ["hearing_right", "hearing_left", "smell", "ent"]),
    (_l("Mouth"), ["lips_palate", "teeth"]),
    (_l("Further tests"), ["chest_xray", "alt", "other"]),
    (_l("Conclusion"), ["restriction_list", "conclusion"]),
)
#: the show page prints code labels instead of codes.
SHOWN_AS = {"colour_vision": "colour_vision_label", "smell": "smell_label",
            "conclusion": "conclusion_label", "restriction_list": "restrictions_label"}
PHYSICAL_LABELS = {
    "candidate": _l("Candidate"), "candidate_ref": _l("Candidate"),
    "serial": _l("Examination number"), "hospital": _l("Examining hospital"),
    "exam_date": _l("Examination date"), "doctor": _l("Chief examining doctor"),
    "history": _l("Medical history"),
    **{key: spec.label for key, spec in rules.MEASURES.items()},
    "colour_vision": _l("Colour vision"), "colour_vision_label": _l("Colour vision"),
    "eye_disease": _l("Eye diseases"), "heart": _l("Heart and blood vessels"),
    "lungs": _l("Respiratory system"), "abdomen": _l("Abdominal organs"),
    "nervous": _l("Nervous system"), "skin": _l("Skin"), "spine": _l("Spine"),
    "limbs": _l("Limbs and joints"), "smell": _l("Sense of smell"),
    "smell_label": _l("Sense of smell"), "ent": _l("Ear, nose and throat"),
    "lips_palate": _l("Lips and palate"), "teeth": _l("Teeth"),
    "chest_xray": _l("Chest X-ray"), "other": _l("Other"),
    "conclusion": _l("Conclusion"), "conclusion_label": _l("Conclusion"),
    "restriction_list": _l("Restriction codes"), "restrictions": _l("Restriction codes"),
    "restrictions_label": _l("Restriction codes"),
    "state": _l("State"), "changed_by": _l("Entered or last changed by"),
    "changed_at": _l("Entered or last changed at"), "proofread_by": _l("Proofread by"),
    "proofread_at": _l("Proofread at"), "confirmed_by": _l("Confirmed by"),
    "confirmed_at": _l("Confirmed at"), "reopen_reason": _l("Reason for reopening"),
}
CHECK_FIELDS = ["state", "changed_by", "changed_at", "proofread_by", "proofread_at",
                "confirmed_by", "confirmed_at", "reopen_reason"]


def _state_label(value):
    return workflow.STATES.get(value, value or "")


def _state_filter(states):
    return SelectField(_l("State"), choices=lambda: [(k, str(v)) for k, v in states.items()])
_CODED = {"colour_vision": codes.COLOUR_VISION, "smell": codes.SMELL,
          "conclusion": codes.CONCLUSIONS, "kind": codes.VIOLATION_KINDS}


def _code_select(label, table, *validators):
    return SelectField(label, validators=[DataRequired(), *validators],
                       choices=lambda: [("", "")] + candidate_codes.choices(table, lang=None))


def show_value(column, value):
    """A stored value as the history shows it: code labels, measurement decimals."""
    if value in (None, "", []):
        return ""
    if column in _CODED:
        return candidate_codes.label(_CODED[column], value, lang=None, default=value)
    if column == "restrictions":
        return "；".join(candidate_codes.label(codes.RESTRICTIONS, c, lang=None, default=c)
                        for c in str(value).split(","))
    if column in rules.MEASURES:
        return rules.fmt(value, column)
    if column == "state":
        return _state_label(value)
    return value


def _no_record_yet(candidate):
    existing = db.session.execute(select(PhysicalExam.id).where(
        PhysicalExam.candidate_id == candidate.id)).scalar()
    if existing is not None:
        raise FormError(_l("%(name)s already has a physical examination record; edit that one.",
                           name=candidate.name))


def _may_change(candidate):
    try:
        rules.check_physical_change(candidate)
    except Refused as exc:
        raise FormError(str(exc)) from None


def candidate_picker(*checks):
    """The 高考 candidate of a new record, searched in the subtree as it is typed (the tab's
    add link fills it in); ``checks(candidate)`` may refuse it with FormError."""
    return CandidatePickerField(resolve=lambda _form, ref: gaokao_candidate(ref), checks=checks,
                                kind=GAOKAO, default=candidate_from_link)


def touch(candidate):
    """The printed 体检表 shows these results and its verification code binds the candidate's
    version: a change moves that version (as versioning.py does for the other printed parts),
    so a form printed before no longer verifies as current."""
    candidate.changed_on = dt.datetime.now()


class ArchiveView(ScopedModelView):
    """Show pages with the record's change history from the audit trail."""

    show_template = "gaokao/show.html"

    def guard(self, item, is_add):
        if is_add:
            # The picker resolved the candidate through the scope and its checks. Both values
            # are set now, before the insert is audited, so the history can find that insert
            # (history.py).
            item.candidate = item.candidate_ref
            item.candidate_id, item.created_on = item.candidate.id, dt.datetime.now()
        super().guard(item, is_add)

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["history"] = record_history(item, self.label_columns, show_value)
        return widgets


class PhysicalExamView(ArchiveView):
    tab_exam_kinds = (GAOKAO,)  # the candidate page's tab, for 高考 records only
    datamodel = CodedInterface(PhysicalExam, coded=("state",))
    route_base = "/physical"
    list_title = _l("Physical examinations")
    show_title = _l("Physical examination")
    add_title, edit_title = _l("Enter physical examination"), _l("Edit physical examination")
    list_columns = ["candidate", "serial", "exam_date", "hospital", "conclusion_label", "state"]
    # Explicit: a candidate filter would preload every candidate of the subtree.
    search_columns = ["state", "serial", "hospital", "exam_date", "doctor"]
    search_form_extra_fields = {"state": _state_filter(workflow.STATES)}
    order_columns = ["serial", "exam_date"]
    base_order = ("id", "desc")
    label_columns = PHYSICAL_LABELS
    show_fieldsets = [(_l("Candidate"), {"fields": ["candidate"]})] + [
        (title, {"fields": [SHOWN_AS.get(f, f) for f in fields]}) for title, fields in SECTIONS] + [
        (_l("Proofreading and confirmation"), {"fields": CHECK_FIELDS})]
    edit_fieldsets = [(title, {"fields": fields}) for title, fields in SECTIONS]
    add_fieldsets = [(_l("Candidate"), {"fields": ["candidate_ref"]})] + edit_fieldsets
    formatters_columns = {**{key: (lambda value, key=key: rules.fmt(value, key))
                             for key in rules.MEASURES}, "state": _state_label}
    description_columns = {
        "vision_naked_right": _l("Five-point notation (5.0 = 1.0), e.g. 4.8."),
        "lens_right": _l("Degrees; negative for short sight, e.g. -350."),
        "hearing_right": _l("Whisper distance in metres; 5 is normal."),
        "restriction_list": _l("Codes of the 普通高等学校招生体检工作指导意见 marked by the "
                               "doctor; the conclusion follows the most severe section."),
    }
    validators_columns = {"exam_date": [form_validator(validate_past_date)]}
    edit_form_extra_fields = {
        **{key: MeasureField(key, validators=[consistent] if key in rules.CONSISTENCY else [])
           for key in rules.MEASURES},
        "colour_vision": _code_select(_l("Colour vision"), codes.COLOUR_VISION),
        "smell": _code_select(_l("Sense of smell"), codes.SMELL),
        "conclusion": _code_select(_l("Conclusion"), codes.CONCLUSIONS, consistent),
        "restriction_list": SelectMultipleField(
            _l("Restriction codes"), widget=Select2ManyWidget(), validators=[consistent],
            choices=lambda: candidate_codes.choices(codes.RESTRICTIONS, lang=None),
            # A cleared select posts one empty value: no restriction, not a code "".
            filters=[lambda chosen: [c for c in chosen or () if c]]),
    }
    add_form_extra_fields = {**edit_form_extra_fields,
                             "candidate_ref": candidate_picker(_may_change, _no_record_yet)}

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["print_candidate"] = item.candidate_id  # its 体检表 prints these results
        widgets["pk"] = item.id
        # The steps this user may take on the record now, or why not (PhysicalCheckView).
        widgets["steps"] = [(t, why) for t, why in possible(
            workflow.RESULT_ACTIONS, g.user,
            lambda t: workflow.check_result(item, t.action, g.user, reason="-"))]
        widgets["changed_after"] = workflow.changed_after_report(item)
        return widgets

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        # Refused before anything is typed: only a 高考 candidate's results can be edited, and
        # confirmed results only after the county administrator reopened them.
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        try:
            rules.check_physical_change(item.candidate)
            workflow.check_result(item, workflow.CHANGE, g.user)
        except Refused as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".show", pk=pk))
        return super().edit(pk)

    def guard(self, item, is_add):
        super().guard(item, is_add)
        rules.check_physical_change(item.candidate)
        if is_add:
            _no_record_yet(item.candidate)  # again: another clerk may have entered it since
        if is_add or db.session.is_modified(item):
            touch(item.candidate)
            notice = workflow.record_changed(item, g.user, is_add)
            if notice is not None:
                flash(str(notice), "warning")

    def pre_delete(self, item):
        rules.check_physical_change(item.candidate)
        workflow.check_result(item, workflow.DELETE, g.user)
        touch(item.candidate)


class PhysicalCheckView(ScopedModelView):
    """校对 and 确认 of the entered results: the list by state, with the steps as list actions
    on the selected rows (loaded through the scope: another county's ids are left out) and
    reopening (with a reason) from the record's page."""

    datamodel = CodedInterface(PhysicalExam, coded=("state",))
    route_base = "/physical-checks"
    exclude_route_methods = {"download", "add", "edit", "delete", "show"}
    list_title = _l("Proofread and confirm physical results")
    list_columns = ["candidate", "serial", "exam_date", "conclusion_label", "state",
                    "changed_by", "changed_at", "proofread_by", "confirmed_at"]
    search_columns = ["state", "serial", "exam_date"]
    search_form_extra_fields = {"state": _state_filter(workflow.STATES)}
    order_columns = ["serial", "exam_date", "changed_at"]
    base_order = ("id", "desc")
    label_columns = PHYSICAL_LABELS
    formatters_columns = {"state": _state_label}

    def _get_list_widget(self, **kwargs):
        # FAB offers every action the permissions name; the table says which of them this
        # user's role may run at all (a city administrator reads the list only).
        widgets = super()._get_list_widget(**kwargs)
        offered_now = {t.action for t in offered(workflow.RESULT_ACTIONS, g.user)}
        widgets["list"].template_args["actions"] = {
            name: act for name, act in self.actions.items() if name in offered_now}
        return widgets

    @action(workflow.PROOFREAD_STEP, _l("Proofread"), None, "fa-check", single=False)
    def proofread(self, items):
        return self._run(workflow.PROOFREAD_STEP, items)

    @action(workflow.CONFIRM, _l("Confirm"), None, "fa-check-circle", single=False)
    def confirm(self, items):
        return self._run(workflow.CONFIRM, items)

    def _run(self, step, items):
        """Apply ``step`` to the rows (HardenedViewMixin loaded them through the scope); a row
        the step does not apply to is skipped and said why."""
        items = items if isinstance(items, list) else [items]
        if not items:
            flash(_l("Select at least one row."), "warning")
            return redirect(url_for(".list"))
        done, skipped = 0, []
        for item in items:
            try:
                workflow.run_result(item, step, g.user)
                done += 1
            except TransitionRefused as exc:
                skipped.append(str(exc))
        db.session.commit()
        label = workflow.RESULT_TRANSITIONS[step].label
        flash(_l("%(action)s: %(done)d done, %(skipped)d skipped.", action=label, done=done,
                 skipped=len(skipped)), "success" if done else "warning")
        for reason in skipped[:5]:
            flash(reason, "warning")
        back = request.form.get("next") or ""
        return redirect(back if back.startswith("/physical") else url_for(".list"))

    @expose("/reopen/<int:pk>", methods=["GET", "POST"])
    @has_access
    def reopen(self, pk):
        """The county administrator reopens confirmed results for correction, with a reason."""
        item = get_scoped_or_404(PhysicalExam, pk)
        reason = request.form.get("reason", "")
        if request.method == "POST":
            try:
                workflow.run_result(item, workflow.REOPEN, g.user, reason)
                db.session.commit()
            except TransitionRefused as exc:
                db.session.rollback()
                flash(str(exc), "danger")
            else:
                flash(_l("The results of %(name)s are reopened: they can be corrected and must "
                         "be proofread and confirmed again.", name=item.candidate.name),
                      "success")
                return redirect(url_for("PhysicalExamView.show", pk=pk))
        return self.render_template(
            "gaokao/reason.html", title=_l("Reopen the confirmed results of %(name)s",
                                           name=item.candidate.name),
            reason=reason, back=url_for("PhysicalExamView.show", pk=pk),
            button=_l("Reopen for correction"))


class PhysicalReportView(ScopedModelView):
    """体检结果上报: a county reports its confirmed results to the city, the city (once its
    counties reported) to the province, on the report page; the level above reads what each
    unit reported, what changed since, and may return a report with a reason."""

    datamodel = CodedInterface(PhysicalReport, coded=("state",))
    route_base = "/physical-reports"
    exclude_route_methods = {"download", "add", "edit", "delete"}
    list_title, show_title = _l("Physical result reports"), _l("Physical result report")
    list_template = "gaokao/report_list.html"
    show_template = "gaokao/report_show.html"
    list_columns = ["node", "exam", "state", "confirmed", "submitted_by", "submitted_at",
                    "decided_by", "return_reason"]
    show_columns = [*list_columns, "decided_at"]
    search_columns = ["state", "exam"]
    search_form_extra_fields = {"state": _state_filter(workflow.REPORT_STATES)}
    base_order = ("submitted_at", "desc")
    formatters_columns = {"state": lambda v: workflow.REPORT_STATES.get(v, v or "")}
    label_columns = {
        "node": _l("Reporting unit"), "exam": _l("Exam"), "state": _l("State"),
        "confirmed": _l("Confirmed results"), "submitted_by": _l("Reported by"),
        "submitted_at": _l("Reported at"), "decided_by": _l("Returned by"),
        "decided_at": _l("Returned at"), "return_reason": _l("Reason for return"),
    }

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["snapshot"] = item.snapshot or {}
        widgets["state_labels"] = workflow.STATES
        widgets["conclusion_label"] = lambda code: candidate_codes.label(
            codes.CONCLUSIONS, code, lang=None, default=code)
        changed, removed = workflow.changed_count(item)
        widgets["changed"], widgets["removed"] = changed, removed
        widgets["changed_rows"] = db.session.execute(
            workflow.changed_since(item).order_by(PhysicalExam.changed_at.desc()).limit(50)
        ).scalars().all() if item.node.kind == workflow.COUNTY else []
        widgets["may_return"] = workflow.return_refusal(item, g.user) is None
        widgets["pk"] = item.id
        return widgets

    @expose("/submit", methods=["GET", "POST"])
    @has_access
    def submit(self):
        """Choose the exam, see the unit's counts and the reports below, and report."""
        unit = g.user.node
        exams = active_exams(GAOKAO)
        exam = next((e for e in exams if str(e.id) == request.values.get("exam")), None)
        if request.method == "POST":
            if exam is None or unit is None:
                flash(_l("Choose the exam."), "danger")
            else:
                try:
                    report = workflow.report(unit, exam, g.user)
                    db.session.commit()
                except Refused as exc:
                    db.session.rollback()
                    flash(str(exc), "danger")
                else:
                    flash(_l("%(unit)s's confirmed physical results have been reported.",
                             unit=unit.name), "success")
                    return redirect(url_for(".show", pk=report.id))
                return redirect(url_for(".submit", exam=exam.id))
        counts = refusal = None
        below = []
        if exam is not None and unit is not None:
            counts = workflow.unit_counts(unit, exam.id)[0]
            try:
                workflow.new_report(unit, exam, g.user)
            except Refused as exc:
                refusal = str(exc)
            units = workflow.receiving_units(unit)
            standing = workflow.standing_reports(exam.id, [u.id for u in units])
            below = [(u, standing.get(u.id),
                      workflow.changed_count(standing[u.id]) if u.id in standing else None)
                     for u in units]
        return self.render_template(
            "gaokao/report_submit.html", unit=unit, exams=exams, exam=exam, counts=counts,
            state_labels=workflow.STATES, refusal=refusal, below=below)

    @expose("/return/<int:pk>", methods=["GET", "POST"])
    @has_access
    def send_back(self, pk):
        """The level above returns a report with a reason; the unit may then report again."""
        item = get_scoped_or_404(PhysicalReport, pk)
        reason = request.form.get("reason", "")
        if request.method == "POST":
            try:
                workflow.return_report(item, g.user, reason)
                db.session.commit()
            except Refused as exc:
                db.session.rollback()
                flash(str(exc), "danger")
            else:
                flash(_l("The report of %(unit)s is returned.", unit=item.name), "success")
                return redirect(url_for(".show", pk=pk))
        return self.render_template(
            "gaokao/reason.html", title=_l("Return the report of %(unit)s", unit=item.name),
            reason=reason, back=url_for(".show", pk=pk), button=_l("Return the report"))


class IntegrityRecordView(ArchiveView):
    tab_exam_kinds = (GAOKAO, ADULT)  # the candidate page's tab (成人高考's 登记表 prints them)
    """考试诚信记录: any number per candidate; not bound by the record's lock (violations are
    found at or after the exam, when every record is signed)."""

    datamodel = SQLAInterface(IntegrityRecord)
    route_base = "/integrity"
    list_title = _l("Integrity records")
    show_title = _l("Integrity record")
    add_title, edit_title = _l("Record a violation"), _l("Edit integrity record")
    list_columns = ["candidate", "occurred_on", "kind_label", "decision", "document_number"]
    search_columns = ["occurred_on", "kind", "document_number", "decision"]
    search_form_extra_fields = {"kind": SelectField(
        _l("Kind of violation"),
        choices=lambda: candidate_codes.choices(codes.VIOLATION_KINDS, lang=None))}
    order_columns = ["occurred_on", "document_number"]
    base_order = ("occurred_on", "desc")
    label_columns = {
        "candidate": _l("Candidate"), "candidate_ref": _l("Candidate"),
        "occurred_on": _l("Date of the violation"), "kind": _l("Kind of violation"),
        "kind_label": _l("Kind of violation"), "description": _l("Facts"),
        "decision": _l("Decision"), "document_number": _l("Document number"),
    }
    description_columns = {
        "decision": _l("The penalty as decided, e.g. 取消当次考试各科成绩."),
        "document_number": _l("Number of the decision document, e.g. 豫招考〔2026〕12号."),
    }
    edit_columns = ["occurred_on", "kind", "description", "decision", "document_number"]
    add_columns = ["candidate_ref", *edit_columns]
    show_columns = ["candidate", "occurred_on", "kind_label", "description", "decision",
                    "document_number"]
    validators_columns = {"occurred_on": [form_validator(validate_past_date)]}
    edit_form_extra_fields = {"kind": _code_select(_l("Kind of violation"),
                                                   codes.VIOLATION_KINDS)}
    # 普通高考 and 成人高考 candidates (the 成人高考 考生登记表 prints its 诚信 part too).
    add_form_extra_fields = {**edit_form_extra_fields, "candidate_ref": CandidatePickerField(
        resolve=lambda _form, ref: integrity_candidate(ref), default=candidate_from_link)}

    def guard(self, item, is_add):
        super().guard(item, is_add)
        rules.check_integrity_candidate(item.candidate)
