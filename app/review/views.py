"""Review in list views (审核): filter by state, select rows, run a transition.

Every action goes through a confirmation page that carries the version of each row as the
reviewer saw it, so a concurrent change is reported instead of silently overwritten; the same
service answers a JSON API for programs.
"""
import datetime as dt

from flask import g, jsonify, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import SelectField
from wtforms.validators import DataRequired

from ..base_views import CodedInterface, ScopedModelView, scoped_items
from ..candidates.labels import LABELS
from ..candidates.models import Candidate
from ..candidates.states import STATE_LABELS
from ..candidates.views import CandidateView, show_fieldsets_of
from ..extensions import db
from ..jurisdiction import get_scoped_or_404
from ..phases.rules import PhaseClosed, check_open_for
from ..candidates.policy import check_unlocked
from ..refusals import BadInput, NotAllowed, Refused
from ..transitions import Conflict, TransitionRefused, actor_roles, offered
from . import dossier
from .models import Qualification
from .states import QUALIFICATION_KINDS, QUALIFICATION_STATES
from .workflow import (QUALIFICATION_TRANSITIONS, STAFF, TRANSITIONS, applicable_transitions,
                       apply, apply_qualification, tone, waiting_state)

REFUSALS = (Refused, PhaseClosed)


def run_transition(candidate, name, form_version, apply_fn=apply, **kw):
    """Apply and commit one transition; return None on success or (error, translated reason)."""
    try:
        apply_fn(candidate, name, g.user, expected_version=form_version, **kw)
        db.session.commit()
    except REFUSALS as exc:
        db.session.rollback()
        return exc, str(exc) if isinstance(exc, Refused) else str(exc.args[0])
    except StaleDataError:
        db.session.rollback()
        conflict = Conflict(_l("%(name)s was changed by someone else at the same moment; "
                               "reload and check again.", name=candidate.name))
        return conflict, str(conflict)
    return None


def _parse_date(text):
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


class TransitionListView(ScopedModelView):
    """List view whose actions run the transitions of ``transitions`` through ``apply_fn``."""

    transitions = TRANSITIONS
    apply_fn = staticmethod(apply)
    page_size = 50

    @expose("/confirm/<name>", methods=["GET", "POST"])
    @has_access
    def confirm(self, name):
        transition = self.transitions.get(name)
        if transition is None or name == "confirm":
            return redirect(url_for(".list"))
        ids = request.values.get("ids", "").split(",")
        items = scoped_items(self.datamodel.obj, ids)
        if request.method == "POST":
            return self._apply_all(transition, items)
        return self.render_template("review/confirm.html", transition=transition, items=items,
                                    ids=",".join(str(i.id) for i in items),
                                    tone=tone(transition), rows=self.confirm_rows(items),
                                    # Said before the reviewer fills in the page (a sent page
                                    # is refused row by row by the workflow all the same).
                                    not_yours=transition not in offered(
                                        self.transitions, g.user),
                                    today=dt.date.today().isoformat())

    def confirm_rows(self, items):
        """[(item, key fields, pictures)] for the confirmation page; photos of all rows in
        one query."""
        return [(item, (), set()) for item in items]

    def _get_list_widget(self, **kwargs):
        # FAB offers every action the role's permissions name; the workflow table says which
        # of them this user's role and level may run at all.
        widgets = super()._get_list_widget(**kwargs)
        offered_now = {t.action for t in offered(self.transitions, g.user)}
        widgets["list"].template_args["actions"] = {
            name: act for name, act in self.actions.items() if name in offered_now}
        return widgets

    def _apply_all(self, transition, items):
        """Run the transition on every row; the result page lists every row skipped and why
        (a flash per row would overflow the session cookie on a large selection)."""
        done, skipped = 0, []
        kw = {"reason": request.form.get("reason"),
              "principal_name": request.form.get("principal_name"),
              "signed_on": _parse_date(request.form.get("signed_on"))}
        for item in items:
            seen = request.form.get(f"v_{item.id}")
            if seen in (None, ""):
                # The confirmation page carries each row's version; a post without it cannot
                # tell whether the reviewer saw the record as it is now.
                skipped.append((item, str(_l("%(name)s: the version you saw is missing; reload "
                                             "the list and try again.", name=item.name))))
                continue
            refusal = run_transition(item, transition.action, seen, self.apply_fn, **kw)
            if refusal is None:
                done += 1
            else:
                skipped.append((item, refusal[1]))
        return self.render_template("review/result.html", transition=transition, done=done,
                                    skipped=skipped)

    @expose("/api/transition", methods=["POST"])
    @has_access
    def api_transition(self):
        """JSON: {"id", "action", "version", "reason", "principal_name", "signed_on"}.

        ``version`` (the record's version as the caller last read it) is required: a program
        must not overwrite a change it has not seen."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return jsonify(error=str(_l("Send a JSON object."))), 400
        if data.get("version") in (None, ""):
            return jsonify(error=str(_l("“version” is required: send the record's version as "
                                        "you last read it."))), 400
        item = get_scoped_or_404(self.datamodel.obj, data.get("id"))
        if data.get("action") not in self.transitions:
            return jsonify(error=str(_l("Unknown action."))), 422
        refusal = run_transition(item, data["action"], data["version"], self.apply_fn,
                                 reason=data.get("reason"),
                                 principal_name=data.get("principal_name"),
                                 signed_on=_parse_date(data.get("signed_on")))
        if refusal is None:
            return jsonify(id=item.id, state=item.state, version=item.version,
                           locked=getattr(item, "locked", None))
        exc, message = refusal
        # A step that does not apply (or applies no more: Conflict) answers with its own
        # status; the lock and a closed window forbid the request (403).
        return jsonify(error=message), exc.status if isinstance(exc, TransitionRefused) else 403

    @classmethod
    def install_actions(cls):
        """One FAB action per transition, each leading to the confirmation page."""
        names = [t.action for t in cls.transitions.values() if t.action != "confirm"]
        for transition in cls.transitions.values():
            if transition.action != "confirm":
                setattr(cls, f"act_{transition.action}", _make_action(transition))
        cls.base_permissions = ["can_list", "can_show", "can_confirm", "can_api_transition",
                                *cls.extra_permissions, *names]

    extra_permissions = ()
    #: {column: (label, {code: label})}: filtered by equality on a select of labelled codes
    #: (the view's datamodel, a CodedInterface, names the same columns).
    choice_filters = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.search_form_extra_fields = {
            col: SelectField(label, choices=list(labels.items()), validators=[DataRequired()],
                             widget=Select2Widget())
            for col, (label, labels) in cls.choice_filters.items()}


class ReviewView(TransitionListView):
    route_base = "/review"
    datamodel = CodedInterface(Candidate, coded=("state",))
    list_title = show_title = _l("Review")
    list_template, show_template = "review/list.html", "review/show.html"
    list_columns = ["name", "id_display", "node", "category_label", "state_label", "locked",
                    "reject_reason"]
    # Every field, as on the candidate's own page: a reviewer does not approve blind.
    show_fieldsets = CandidateView.show_fieldsets
    formatters_columns = CandidateView.formatters_columns
    search_columns = ["state", "exam", "node", "name", "locked"]
    choice_filters = {"state": (_l("Review state"), STATE_LABELS)}
    base_order = ("id", "asc")
    page_size = 50
    label_columns = {**LABELS, "id_display": _l("ID number"), "node": _l("School / point"),
                     "category_label": _l("Candidate category"), "state_label": _l("Review state"),
                     "state": _l("Review state"), "locked": _l("Locked"),
                     "reject_reason": _l("Rejection reason"), "printed_at": _l("Printed at"),
                     "signed_at": _l("Signed at"), "exam": _l("Exam"), "name": _l("Full name")}

    @expose("/list/")
    @has_access
    def list(self):
        """Opens on the records waiting for the user's own level, as an ordinary (removable)
        state filter; a search (the page adds ``all`` to its form) or the “all states” link
        keeps what was asked."""
        waiting = g.ks_waiting_state = waiting_state(g.user)
        if waiting is not None and not request.args:
            request.args = ImmutableMultiDict({"_flt_0_state": waiting})
        return super().list()

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions,
                                           show_fieldsets or show_fieldsets_of(item.exam.kind))
        # The page's own buttons (below) offer what applies to this record now.
        widgets["show"].template_args["actions"] = {}
        widgets["dossier"] = dossier.dossier_of(item, with_changes=True)
        steps = applicable_transitions(item, g.user)
        widgets["steps"] = [(t, BUTTONS[tone(t)]) for t, refusal in steps if refusal is None]
        widgets["refused"] = [(t, refusal) for t, refusal in steps if refusal is not None]
        return widgets

    def confirm_rows(self, items):
        pictures = dossier.current_pictures(i.id for i in items)
        return [(item, (item.id_display, item.gender_label, item.birth_date, item.node.name,
                        item.category_label), pictures.get(item.id, set())) for item in items]


def _make_action(transition):
    def run(self, items):
        items = items if isinstance(items, list) else [items]
        return redirect(url_for(".confirm", name=transition.action,
                                ids=",".join(str(i.id) for i in items)))

    run.__name__ = f"act_{transition.action}"
    return action(transition.action, transition.label, "", ICONS[tone(transition)])(run)


#: The detail page's button per meaning of a step: approve green, reject red, lock grey.
BUTTONS = {"approve": "btn-success", "reject": "btn-danger", "lock": "btn-default",
           "confirm": "btn-primary"}
#: The 操作 menu's icon per meaning of a step (its colour comes from kaosheng.css).
ICONS = {"approve": "fa-check ks-tone-approve", "reject": "fa-times ks-tone-reject",
         "lock": "fa-lock ks-tone-lock", "confirm": "fa-pencil-square-o ks-tone-confirm"}


class QualificationView(TransitionListView):
    """Qualification applications (资格申报): staff file them, reviewers run their chain."""

    route_base = "/qualifications"
    datamodel = CodedInterface(Qualification, coded=("state", "kind"))
    list_title, show_title = _l("Qualification applications"), _l("Qualification application")
    add_title, edit_title = _l("File a qualification application"), _l("Edit qualification application")
    transitions = QUALIFICATION_TRANSITIONS
    apply_fn = staticmethod(apply_qualification)
    extra_permissions = ("can_add",)
    list_columns = ["candidate", "kind_label", "state_label", "reject_reason", "created_on"]
    show_columns = ["candidate", "kind_label", "note", "state_label", "reject_reason"]
    add_columns = ["candidate", "kind", "note"]
    search_columns = ["state", "kind", "candidate"]
    choice_filters = {"state": (_l("Review state"), QUALIFICATION_STATES),
                      "kind": (_l("Qualification"), QUALIFICATION_KINDS)}
    base_order = ("id", "desc")
    label_columns = {"candidate": _l("Candidate"), "kind": _l("Qualification"),
                     "kind_label": _l("Qualification"), "state": _l("Review state"),
                     "state_label": _l("Review state"), "reject_reason": _l("Rejection reason"),
                     "note": _l("Note"), "created_on": _l("Filed at")}
    add_form_extra_fields = {"kind": SelectField(_l("Qualification"), validators=[DataRequired()],
                                                 choices=list(QUALIFICATION_KINDS.items()))}

    def guard(self, item, is_add):
        super().guard(item, is_add)
        if not set(STAFF) & actor_roles(g.user):
            raise NotAllowed(_l("Only school or registration point staff file applications."))
        if item.candidate is None:
            raise BadInput(_l("Choose the candidate."))
        # An application is not the candidate's data, so an approved record may still get one;
        # the signature, though, covers everything filed with the form.
        check_unlocked(item.candidate)
        check_open_for("staff_entry", item.candidate)


ReviewView.install_actions()
QualificationView.install_actions()
