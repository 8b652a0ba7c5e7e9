"""成人高考 免试入学 and 照顾加分 screens (issue 18 items 6–7; rules in adult/exemption.py):
the city and the province list the applications / bonuses of their subtree and take their
step on the show page; the city enters a bonus on its own form (candidate chosen with the
picker)."""
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError as FormError

from .. import filestore, transitions
from ..audit import log_event
from ..base_views import ScopedModelView
from ..candidates.picker import CandidatePickerField, search_by_candidate
from ..codes import ADULT
from ..extensions import db
from ..candidates.models import Candidate
from ..jurisdiction import get_scoped_or_404, in_scope
from ..refusals import Refused
from . import exemption as rules
from .exemption_models import AdultBonus, AdultExemption

LABELS = {"candidate": _l("Candidate"), "candidate_id": _l("Candidate"),
          "state": _l("State"), "kind": _l("Type"),
          "note": _l("Note"), "scan_name": _l("Supporting document"),
          "applied_at": _l("Applied at"), "city_by": _l("City reviewer"),
          "city_at": _l("City reviewed at"), "decided_by": _l("Decided by"),
          "decided_at": _l("Decided at"), "reason": _l("Reason"), "points": _l("Points"),
          "entered_by": _l("Entered by"), "entered_at": _l("Entered at"),
          "claim_kind": _l("Policy claimed at the confirmation point"),
          "claim_note": _l("Note of the claim"),
          "claimed_by": _l("Originals seen by (confirmation point)"),
          "claimed_at": _l("Claimed at")}


def _decisions(item, table, labels):
    return transitions.possible(
        table, g.user, lambda t: transitions.check(item, t, g.user, labels, reason="-"))


def _decide(model, table, labels, pk):
    row = get_scoped_or_404(model, pk)
    transition = transitions.find(table, request.form.get("action"))
    move = transitions.check(row, transition, g.user, labels,
                             reason=request.form.get("reason"),
                             expected_version=request.form.get("version") or None)
    transitions.apply(move)
    db.session.commit()
    flash(_("%(action)s: done.", action=transition.label), "success")
    return row


class AdultExemptionView(ScopedModelView):
    route_base = "/adult/exemptions"
    datamodel = search_by_candidate(SQLAInterface(AdultExemption))
    list_title = show_title = _l("Exemption applications")
    base_permissions = ["can_list", "can_show", "can_decide", "can_scan"]
    include_route_methods = {"list", "show", "decide", "scan"}
    list_columns = ["candidate", "kind", "state", "applied_at", "city_by", "decided_at"]
    show_columns = ["candidate", "kind", "note", "state", "scan_name", "applied_at", "city_by",
                    "city_at", "decided_by", "decided_at", "reason"]
    search_columns = ["candidate_id", "state", "kind", "applied_at"]
    base_order = ("applied_at", "desc")
    label_columns = LABELS
    formatters_columns = {"state": lambda s: rules.EXEMPTION_STATES.get(s, s),
                          "kind": rules.exemption_kind_label}
    show_template = "adult/exemption_show.html"

    list_template = "adult/exemption_list.html"
    #: the list's button printing the 报名流程表 of the forwarded applications (onsite).
    extra_args = {"may_print_process": lambda: current_app.appbuilder.sm.has_access(
        "can_print", "AdultOnsiteView")}

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["row"] = item
        widgets["decisions"] = _decisions(item, rules.EXEMPTION_DECISIONS,
                                          rules.EXEMPTION_STATES)
        # The 报名流程表 the city sends with the application (onsite: 报名流程图).
        widgets["process_url"] = url_for("AdultOnsiteView.process_pdf",
                                         candidate_id=item.candidate_id)
        return widgets

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("decide")
    def decide(self, pk):
        row = _decide(AdultExemption, rules.EXEMPTION_DECISIONS, rules.EXEMPTION_STATES, pk)
        return redirect(url_for(".show", pk=row.id))

    @expose("/scan/<int:pk>")
    @has_access
    @permission_name("scan")
    def scan(self, pk):
        row = get_scoped_or_404(AdultExemption, pk)
        response = filestore.send(row.scan_ref, rules.SCANS, row.scan_type or
                                  "application/octet-stream", row.scan_name or "scan")
        if response is None:
            abort(404)
        log_event("download", "ks_adult_exemption", {"file": row.scan_name},
                  row_id=row.id, candidate_id=row.candidate_id)
        db.session.commit()
        return response


def _adult_candidate(candidate):
    if not rules.is_adult(candidate):
        raise FormError(_l("Only 成人高考 candidates have this."))


class BonusForm(FlaskForm):
    candidate = CandidatePickerField(kind=ADULT, checks=(_adult_candidate,))
    kind = SelectField(_l("Policy type"), choices=(), validate_choice=False)
    points = StringField(_l("Points"),
                         description=_l("Leave empty for the type's usual points."))
    note = TextAreaField(_l("Note"), description=_l("Required for type “other”."))


def _start_from_claim(form, ref):
    """The city's entry starts from the policy the confirmation point recorded (onsite)."""
    candidate = db.session.get(Candidate, int(ref)) if str(ref).isdigit() else None
    if candidate is None or not in_scope(candidate) or not rules.is_adult(candidate):
        return
    row = rules.bonus_of(candidate)
    if row.claim_kind and not form.kind.data:
        form.kind.data, form.note.data = row.kind or row.claim_kind, row.note or row.claim_note


class AdultBonusView(ScopedModelView):
    route_base = "/adult/bonuses"
    datamodel = search_by_candidate(SQLAInterface(AdultBonus))
    list_title = show_title = _l("Bonus points (adult exam)")
    base_permissions = ["can_list", "can_show", "can_decide", "can_enter"]
    include_route_methods = {"list", "show", "decide", "enter"}
    list_columns = ["candidate", "kind", "points", "state", "entered_by", "decided_at"]
    show_columns = ["candidate", "claim_kind", "claim_note", "claimed_by", "claimed_at",
                    "kind", "points", "note", "state", "entered_by", "entered_at",
                    "decided_by", "decided_at", "reason"]
    search_columns = ["candidate_id", "state", "kind", "entered_at"]
    base_order = ("entered_at", "desc")
    label_columns = {**LABELS, "kind": _l("Policy type")}
    formatters_columns = {"state": lambda s: rules.BONUS_STATES.get(s, s),
                          "kind": rules.bonus_kind_label, "claim_kind": rules.bonus_kind_label}
    show_template = "adult/exemption_bonus_show.html"
    list_template = "adult/exemption_bonus_list.html"
    #: whether the user's roles may enter a bonus (the list's button), asked per request.
    extra_args = {"may_enter": lambda: transitions.may_run(
        rules.BONUS_TRANSITIONS[rules.ENTER], g.user)}

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["row"] = item
        widgets["decisions"] = _decisions(item, rules.BONUS_DECISIONS, rules.BONUS_STATES)
        return widgets

    def _enter_page(self, form, error=None, status=200):
        return self.render_template("adult/exemption_bonus_enter.html", form=form,
                                    error=error), status

    @expose("/enter", methods=["GET", "POST"])
    @has_access
    @permission_name("enter")
    def enter(self):
        """The city enters (or corrects) a candidate's bonus; it goes to the province."""
        form = BonusForm()
        form.kind.choices = [("", "")] + [
            (code, _("%(label)s (%(points)s points)", label=label, points=points))
            for code, (label, points, _most) in rules.BONUS_KINDS.items()]
        if request.method == "GET":
            ref = request.args.get("candidate")
            if ref:
                form.candidate.process_data(ref)
                _start_from_claim(form, ref)
            refusal = None
            if not transitions.may_run(rules.BONUS_TRANSITIONS[rules.ENTER], g.user):
                refusal = _("Your role may not do “%(action)s”.",
                            action=rules.BONUS_TRANSITIONS[rules.ENTER].label)
            return self._enter_page(form, error=refusal)
        if not form.validate():
            return self._enter_page(form, status=400)
        row = rules.bonus_of(form.candidate.data)
        try:
            move = transitions.check(
                row, rules.BONUS_TRANSITIONS[rules.ENTER], g.user, rules.BONUS_STATES,
                context={"kind": form.kind.data, "points": form.points.data,
                         "note": form.note.data})
        except Refused as exc:
            return self._enter_page(form, error=str(exc), status=exc.status)
        transitions.apply(move)
        db.session.add(row)
        db.session.commit()
        flash(_("The bonus was entered and sent to the province for checking."), "success")
        return redirect(url_for(".show", pk=row.id))

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("decide")
    def decide(self, pk):
        row = _decide(AdultBonus, rules.BONUS_DECISIONS, rules.BONUS_STATES, pk)
        return redirect(url_for(".show", pk=row.id))
