"""Screens of the 高考 优惠 and 专项 qualifications: one list per part (民审, other policies,
专项), the record page with its scan, the steps the user's role may take now (bonus_rules'
tables decide) and the change history; a page to record a new claim with its scan.

Every row is loaded through the user's scope (another county's answers 404); every write goes
through ``bonus_rules.apply_step``; refusals are shown with their reason and lose nothing typed.
"""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from wtforms import FileField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from .. import codes as candidate_codes
from .. import filestore
from ..base_views import ScopedModelView
from ..candidates.picker import CandidatePickerField, search_by_candidate
from ..codes import GAOKAO
from ..extensions import db
from ..jurisdiction import get_scoped_or_404
from ..refusals import Refused
from . import bonus_codes, bonus_rules
from .bonus_codes import MINORITY, POLICY, SPECIAL
from .bonus_models import STATE_LABELS, BonusClaim
from .fields import candidate_from_link, gaokao_candidate
from .history import record_history

LABELS = {
    "candidate": _l("Candidate"), "candidate_id": _l("Candidate"),
    "candidate_ref": _l("Candidate"), "policy": _l("Policy"), "policy_label": _l("Policy"),
    "part": _l("Kind"), "part_label": _l("Kind"), "effect_label": _l("Effect"), "points": _l("Points"),
    "note": _l("Evidence"), "scan": _l("Scan"), "scan_name": _l("Scan"),
    "scan_type": _l("Scan type"), "state": _l("State"), "state_label": _l("State"),
    "reject_reason": _l("Reason for rejection"), "decided_by": _l("Decided by"),
    "decided_on": _l("Decided on"), "created_on": _l("Recorded on"),
}


def show_value(column, value):
    if value in (None, ""):
        return ""
    if column == "state":
        return STATE_LABELS.get(value, value)
    if column in ("scan", "scan_type"):
        return ""  # a store reference; the file's name (scan_name) is shown instead
    if column == "part":
        return candidate_codes.label(bonus_codes.PART_LABELS, value, lang=None, default=value)
    if column == "policy":
        row = bonus_codes.policy(value)
        return candidate_codes.label(((row["code"], row["zh"], row["en"]),), value, lang=None) \
            if row else value
    return value


class ClaimForm(FlaskForm):
    candidate_ref = CandidatePickerField(resolve=lambda _form, ref: gaokao_candidate(ref),
                                         kind=GAOKAO, default=candidate_from_link)
    policy = SelectField(_l("Policy"))
    points = StringField(_l("Points"), validators=[Optional()])
    note = TextAreaField(_l("Evidence"), validators=[Optional(), Length(max=500)],
                         description=_l("The documents checked, e.g. 户口簿、民族成分证明."))
    scan = FileField(_l("Scan of the signed form (PDF or JPEG)"))


class ClaimView(ScopedModelView):
    """A part's claims; subclasses name the part."""

    part = None
    datamodel = None
    list_columns = ["candidate", "policy_label", "points", "state_label", "created_on"]
    show_columns = ["candidate", "part_label", "policy_label", "effect_label", "points", "note",
                    "scan_name", "state_label", "reject_reason", "decided_by", "decided_on",
                    "created_on"]
    search_columns = ["candidate_id", "state", "policy"]
    order_columns = ["created_on"]
    base_order = ("id", "desc")
    label_columns = LABELS
    show_template = "gaokao/bonus_show.html"
    exclude_route_methods = {"edit", "delete", "download", "action", "action_post", "api",
                             "api_read", "api_get", "api_create", "api_update", "api_delete",
                             "api_column_add", "api_column_edit", "api_readvalues"}
    method_permission_name = {"scan": "show", "step": "step", "add": "add", "list": "list",
                              "show": "show"}
    #: whether the record step needs a scan (民审表 / 资格审核表); POLICY: evidence optional.
    needs_scan = True
    shows_points = True

    def __init__(self, **kw):
        part = self.part
        self.base_filters = [*self.base_filters, ["part", FilterEqual, part]]
        self.search_form_extra_fields = {
            "state": SelectField(_l("State"), choices=[(k, v) for k, v in STATE_LABELS.items()]),
            "policy": SelectField(_l("Policy"), choices=lambda: candidate_codes.choices(
                bonus_codes.rows(part), lang=None)),
        }
        super().__init__(**kw)

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint, static_folder)
        # The printed 民审表 / 优惠资格审查表 / 资格审核表 read the candidate's claims.
        blueprint.add_app_template_global(bonus_rules.printed_claims, "gaokao_claims")
        return blueprint

    # --- show: the steps and the history ------------------------------------------------

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["history"] = record_history(item, self.label_columns, show_value)
        widgets["claim"] = item
        widgets["steps"] = bonus_rules.possible(item, g.user)
        widgets["points_actions"] = bonus_rules.points_actions(item.part)
        widgets["print_kind"] = PRINT_KIND.get(item.part)
        return widgets

    @expose("/scan/<int:pk>")
    @has_access
    def scan(self, pk):
        claim = self._load(pk)
        ext = "pdf" if claim.scan_type == "application/pdf" else "jpg"
        resp = filestore.send(claim.scan, bonus_rules.SCANS, claim.scan_type or
                              "application/octet-stream", f"scan-{claim.id}.{ext}")
        if resp is None:
            abort(404)
        return resp

    def _load(self, pk):
        claim = get_scoped_or_404(BonusClaim, pk)
        if claim.part != self.part:
            abort(404)
        return claim

    @expose("/step/<int:pk>", methods=["POST"])
    @has_access
    def step(self, pk):
        claim = self._load(pk)
        action = request.form.get("action", "")
        scan = None
        try:
            if action == "record":
                scan = bonus_rules.read_scan(request.files.get("scan"), required=self.needs_scan)
            context = {"points": request.form.get("points"), "scan": scan}
            if "note" in request.form:
                context["note"] = request.form.get("note")
            bonus_rules.apply_step(claim, action, g.user, reason=request.form.get("reason"),
                                   expected_version=request.form.get("version"), **context)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(_("%(name)s was changed by someone else after you loaded the page; reload "
                    "and check again.", name=claim.name), "danger")
        except Refused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("%(name)s: %(state)s.", name=claim.name, state=claim.state_label), "success")
        return redirect(url_for(".show", pk=pk))

    # --- a new claim --------------------------------------------------------------------------

    def _form(self):
        form = ClaimForm()
        form.policy.choices = candidate_codes.choices(bonus_codes.rows(self.part), lang=None)
        if len(form.policy.choices) == 1:
            form.policy.data = form.policy.choices[0][0]
        return form

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        form = self._form()
        error = None
        if request.method == "POST" and form.validate():
            try:
                scan = bonus_rules.read_scan(form.scan.data, required=self.needs_scan)
                claim = bonus_rules.record_new(
                    form.candidate_ref.data, self.part, form.policy.data, g.user,
                    points=form.points.data, note=form.note.data, scan=scan)
                db.session.commit()
            except Refused as exc:
                db.session.rollback()
                error = str(exc)
            else:
                flash(_("%(name)s: %(state)s.", name=claim.name, state=claim.state_label),
                      "success")
                return redirect(url_for(".show", pk=claim.id))
        return self.render_template("gaokao/bonus_add.html", form=form, error=error,
                                    title=self.add_title, needs_scan=self.needs_scan,
                                    shows_points=self.part == POLICY,
                                    limit_mb=round(bonus_rules.scan_limit() / 1024 / 1024, 1))


#: the printed form of each part.
PRINT_KIND = {MINORITY: "minority", POLICY: "bonus", SPECIAL: "special_plan"}


class MinorityClaimView(ClaimView):
    part = MINORITY
    datamodel = search_by_candidate(SQLAInterface(BonusClaim))
    route_base = "/gaokao-minority"
    list_title = _l("Ethnic minority policy (民审)")
    show_title = _l("Ethnic minority policy (民审)")
    add_title = _l("Record a submitted 民审表")


class PolicyClaimView(ClaimView):
    part = POLICY
    datamodel = search_by_candidate(SQLAInterface(BonusClaim))
    route_base = "/gaokao-bonus"
    list_title = _l("Other bonus / reduced-score policies")
    show_title = _l("Bonus / reduced-score policy")
    add_title = _l("Enter a bonus / reduced-score policy")
    needs_scan = False


class SpecialClaimView(ClaimView):
    part = SPECIAL
    datamodel = search_by_candidate(SQLAInterface(BonusClaim))
    route_base = "/gaokao-special"
    list_title = _l("Special-plan qualifications")
    show_title = _l("Special-plan qualification")
    add_title = _l("Record a submitted 资格审核表")
    list_columns = ["candidate", "policy_label", "state_label", "created_on"]
