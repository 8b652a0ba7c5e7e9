"""报名信息 (registration part of the 高考 archive): entered and edited by the staff of the
registration point (school or point) and the county office, confirmed by them, and the
confirmation withdrawn (with a reason) by the county office. Scoped through the candidate,
audited, with the record's change history on its page."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, DateTimePickerWidget, Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ListWidget
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateTimeField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired
from wtforms.validators import ValidationError as FormError

from .. import codes as candidate_codes
from ..codes import GAOKAO
from ..candidates.picker import CandidatePickerField
from ..extensions import db
from ..jurisdiction import scoped
from ..refusals import Refused
from ..validators import InvalidValue
from . import registration_codes as rc
from . import registration_rules as rules
from .fields import candidate_from_link, gaokao_candidate
from .registration_models import GaokaoRegistration
from .views import ArchiveView

LABELS = {
    "candidate": _l("Candidate"), "candidate_ref": _l("Candidate"),
    "candidate_id": _l("Candidate"), "exam_id": _l("Exam"),
    "registration_number": _l("Registration number"),
    "graduation_kind": _l("Graduation type"), "graduation_kind_label": _l("Graduation type"),
    "exam_type": _l("Exam type"), "exam_type_label": _l("Exam type"),
    "hukou_type": _l("Household registration type"),
    "hukou_type_label": _l("Household registration type"),
    "school_code": _l("School code"), "application_kind": _l("Application kind"),
    "application_kind_label": _l("Application kind"),
    "fee_state": _l("Registration fee"), "fee_state_label": _l("Registration fee"),
    "fee_amount": _l("Amount paid (yuan)"), "paid_at": _l("Paid at"),
    "fee_recorded_by": _l("Fee recorded by"), "state": _l("State"),
    "state_label": _l("State"), "confirmed_at": _l("Confirmed at"),
    "confirmed_by": _l("Confirmed by"), "created_on": _l("Entered on"),
}
_CODED = {"graduation_kind": rc.GRADUATION_KINDS, "exam_type": rc.EXAM_TYPES,
          "hukou_type": rc.HUKOU_TYPES, "application_kind": rc.APPLICATION_KINDS,
          "fee_state": rc.FEE_STATES}
EDIT_FIELDS = ["registration_number", "graduation_kind", "exam_type", "hukou_type",
               "school_code", "application_kind", "fee_state", "fee_amount", "paid_at"]


def show_value(column, value):
    """A stored value as the history shows it: code labels instead of codes."""
    if value in (None, ""):
        return ""
    if column in _CODED:
        return candidate_codes.label(_CODED[column], value, lang=None, default=value)
    if column == "state":
        return rules.STATE_LABELS.get(value, value)
    return value


def _form_candidate(form):
    """The candidate the form is about: the picker's (add) or the edited row's (edit)."""
    picker = getattr(form, "candidate_ref", None)
    if picker is not None:
        if picker.data is None and picker.raw:
            try:
                picker.data = gaokao_candidate(picker.raw)
            except FormError:
                return None
        return picker.data
    pk = (request.view_args or {}).get("pk")
    row = _scoped_row(pk)
    return row.candidate if row is not None else None


def _scoped_row(pk):
    if pk is None or not str(pk).isdigit():
        return None
    return db.session.execute(scoped(select(GaokaoRegistration).where(
        GaokaoRegistration.id == int(pk)), GaokaoRegistration)).scalar_one_or_none()


def _number_valid(form, field):
    candidate = _form_candidate(form)
    if candidate is None or not field.data:
        return
    own = (request.view_args or {}).get("pk")
    try:
        field.data = rules.check_registration_number(field.data, candidate,
                                                     int(own) if own else None)
    except InvalidValue as exc:
        raise FormError(str(exc)) from None


def _school_code_valid(form, field):
    if field.data:
        try:
            field.data = rules.check_school_code(field.data)
        except InvalidValue as exc:
            raise FormError(str(exc)) from None


def _graduation_agrees(form, field):
    candidate = _form_candidate(form)
    problem = rules.graduation_problem(candidate, field.data) if candidate else None
    if problem is not None:
        raise FormError(str(problem))


def _exam_type_agrees(form, field):
    problem = rules.exam_type_problem(form.exam_type.data, form.application_kind.data,
                                      form.graduation_kind.data)
    if problem is not None:
        raise FormError(str(problem))


def _fee_agrees(form, field):
    found = rules.fee_problem(form.fee_state.data, form.fee_amount.data, form.paid_at.data)
    if found is not None and found[0] == field.name:
        raise FormError(str(found[1]))


def _no_registration_yet(candidate):
    existing = db.session.execute(select(GaokaoRegistration.id).where(
        GaokaoRegistration.candidate_id == candidate.id)).scalar()
    if existing is not None:
        raise FormError(_l("%(name)s already has registration information; edit that one.",
                           name=candidate.name))


def _may_register(candidate):
    try:
        rules.check_change(candidate)
    except Refused as exc:
        raise FormError(str(exc)) from None


class _Blankable:
    """An empty entry is no value (None), not a format error; the fee check decides whether
    one is needed."""

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class AmountField(_Blankable, DecimalField):
    pass


class PaidAtField(_Blankable, DateTimeField):
    pass


def _code_select(label, table, *validators):
    return SelectField(label, validators=[DataRequired(), *validators], widget=Select2Widget(),
                       choices=lambda: [("", "")] + candidate_codes.choices(table, lang=None))


# The picker first: the other fields' checks read the candidate it resolved (WTForms
# validates the fields in the order they were created).
_PICKER = CandidatePickerField(resolve=lambda _form, ref: gaokao_candidate(ref),
                               checks=(_may_register, _no_registration_yet), kind=GAOKAO,
                               default=candidate_from_link)
EDIT_EXTRA = {
    "registration_number": StringField(
        _l("Registration number"), widget=BS3TextFieldWidget(),
        validators=[DataRequired(), _number_valid],
        filters=[lambda v: "".join((v or "").split()) or None]),
    "graduation_kind": _code_select(_l("Graduation type"), rc.GRADUATION_KINDS,
                                    _graduation_agrees),
    "exam_type": _code_select(_l("Exam type"), rc.EXAM_TYPES, _exam_type_agrees),
    "hukou_type": _code_select(_l("Household registration type"), rc.HUKOU_TYPES),
    "school_code": StringField(_l("School code"), widget=BS3TextFieldWidget(),
                               validators=[DataRequired(), _school_code_valid],
                               filters=[lambda v: "".join((v or "").split()) or None]),
    "application_kind": _code_select(_l("Application kind"), rc.APPLICATION_KINDS),
    "fee_state": SelectField(_l("Registration fee"), validators=[DataRequired()],
                             choices=lambda: candidate_codes.choices(rc.FEE_STATES, lang=None),
                             default=rc.UNPAID),
    "fee_amount": AmountField(_l("Amount paid (yuan)"), places=2, widget=BS3TextFieldWidget(),
                              validators=[_fee_agrees]),
    "paid_at": PaidAtField(_l("Paid at"), format=["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
                           widget=DateTimePickerWidget(), validators=[_fee_agrees]),
}


class RegistrationListWidget(ListWidget):
    """The list, and on the candidate page's tab a link to the candidate's archive page."""

    template = "gaokao/registration_list_widget.html"


class GaokaoRegistrationView(ArchiveView):
    tab_exam_kinds = (GAOKAO,)  # the candidate page's tab, for 高考 records only
    """报名信息 of 高考 candidates (one per candidate)."""

    datamodel = SQLAInterface(GaokaoRegistration)
    route_base = "/gaokao/registration"
    # Confirming and withdrawing: "确认" on the role page (the transition table decides who).
    method_permission_name = {"move": "confirm"}
    show_template = "gaokao/registration_show.html"
    list_widget = RegistrationListWidget
    list_title = _l("Registration information")
    show_title = _l("Registration information")
    add_title, edit_title = _l("Enter registration information"), \
        _l("Edit registration information")
    list_columns = ["candidate", "registration_number", "exam_type_label",
                    "application_kind_label", "fee_state_label", "state_label"]
    search_columns = ["registration_number", "school_code", "fee_state", "state"]
    search_form_extra_fields = {
        "fee_state": SelectField(_l("Registration fee"),
                                 choices=lambda: candidate_codes.choices(rc.FEE_STATES, lang=None)),
        "state": SelectField(_l("State"), choices=lambda: [
            (k, str(v)) for k, v in rules.STATE_LABELS.items()]),
    }
    order_columns = ["registration_number"]
    base_order = ("id", "desc")
    label_columns = LABELS
    description_columns = {
        "registration_number": _l("14 digits: the exam year (2), the county code (6) and a "
                                  "sequence (6), e.g. 26410102000123."),
        "school_code": _l("中学代码 of the national standard: the 6-digit division code and the "
                          "school's number, e.g. 4101020001."),
        "paid_at": _l("Date and time, e.g. 2025-11-20 10:30."),
    }
    show_fieldsets = [
        (_l("Candidate"), {"fields": ["candidate", "state_label", "confirmed_at",
                                      "confirmed_by"]}),
        (_l("Registration"), {"fields": ["registration_number", "graduation_kind_label",
                                         "exam_type_label", "hukou_type_label", "school_code",
                                         "application_kind_label"]}),
        (_l("Registration fee"), {"fields": ["fee_state_label", "fee_amount", "paid_at",
                                             "fee_recorded_by"]}),
    ]
    edit_fieldsets = [
        (_l("Registration"), {"fields": EDIT_FIELDS[:6]}),
        (_l("Registration fee"), {"fields": EDIT_FIELDS[6:]}),
    ]
    add_fieldsets = [(_l("Candidate"), {"fields": ["candidate_ref"]})] + edit_fieldsets
    edit_form_extra_fields = EDIT_EXTRA
    add_form_extra_fields = {"candidate_ref": _PICKER, **EDIT_EXTRA}

    def _get_list_widget(self, filters, **kwargs):
        widgets = super()._get_list_widget(filters=filters, **kwargs)
        candidate_id = filters.get_filter_value("candidate") if filters else None
        link = None
        if str(candidate_id or "").isdigit() and self.appbuilder.sm.has_access(
                "can_show", "GaokaoArchiveView"):
            link = url_for("GaokaoArchiveView.show", candidate_id=int(candidate_id))
        widgets["list"].template_args["archive_link"] = link
        return widgets

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["moves"] = rules.possible(item, g.user)
        widgets["candidate_id"] = item.candidate_id
        return widgets

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        # Refused before anything is typed: confirmed, locked or outside the window.
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        try:
            rules.check_editable(item)
        except Refused as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".show", pk=pk))
        return super().edit(pk)

    @expose("/move/<pk>/<name>", methods=["POST"])
    @has_access
    def move(self, pk, name):
        """Confirm the registration, or withdraw its confirmation (with a reason)."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if name not in rules.TRANSITIONS:
            abort(404)
        reason = (request.form.get("reason") or "").strip()[:500]
        try:
            move = rules.check(item, name, g.user, reason)
        except Refused as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".show", pk=pk))
        if reason:
            db.session.info["audit_reason"] = reason
        rules.run(item, name, g.user, reason)
        db.session.commit()
        flash(str(_l("%(action)s: done.", action=move.transition.label)), "success")
        return redirect(url_for(".show", pk=pk))

    def guard(self, item, is_add):
        super().guard(item, is_add)
        if is_add:
            rules.check_change(item.candidate)
            item.exam_id = item.candidate.exam_id
            item.state = rules.ENTERED
        else:
            rules.check_editable(item)
        # The form checked these; asked again here for anything that reaches the model.
        rules.check_school_code(item.school_code)
        rules.check_registration_number(item.registration_number, item.candidate,
                                        None if is_add else item.id)
        for problem in (rules.graduation_problem(item.candidate, item.graduation_kind),
                        rules.exam_type_problem(item.exam_type, item.application_kind,
                                                item.graduation_kind)):
            if problem is not None:
                raise Refused(problem, status=422)
        fee = rules.fee_problem(item.fee_state, item.fee_amount, item.paid_at)
        if fee is not None:
            raise Refused(fee[1], status=422)
        if is_add or any(_changed(item, c) for c in ("fee_state", "fee_amount", "paid_at")):
            item.fee_recorded_by = g.user.username

    def pre_delete(self, item):
        rules.check_editable(item)


def _changed(item, column):
    from sqlalchemy import inspect

    return inspect(item).attrs[column].history.has_changes()
