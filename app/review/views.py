"""Review in list views (审核): filter by state, select rows, run a transition.

Every action goes through a confirmation page that carries the version of each row as the
reviewer saw it, so a concurrent change is reported instead of silently overwritten; the same
service answers a JSON API for programs.
"""
import datetime as dt

from flask import abort, current_app, g, jsonify, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import SelectField
from wtforms.validators import DataRequired

from ..base_views import CodedFilterConverter, CodedInterface, ScopedModelView, scoped_items
from ..candidates.export_tasks import filtered_query
from ..candidates.labels import LABELS
from ..candidates.models import Candidate
from ..candidates.picker import CandidatePickerField, search_by_candidate
from ..candidates.states import STATE_LABELS
from ..candidates.views import CandidateView, show_fieldsets_of
from ..extensions import db
from ..job_records import DONE, NEW
from ..jurisdiction import get_scoped_or_404
from ..phases.rules import PhaseClosed, check_open_for
from ..photos.results import problem_choices
from ..photos.service import photo_problem_condition
from ..candidates.policy import check_unlocked
from ..refusals import BadInput, NotAllowed, Refused
from ..transitions import Conflict, TransitionRefused, actor_roles, offered
from . import dossier
from .models import Qualification, ReviewSelection
from .states import QUALIFICATION_KINDS, QUALIFICATION_STATES
from .tasks import REVIEW_TIMEOUT, run_bulk_review
from .workflow import (BULK_SUBJECTS, QUALIFICATION_TRANSITIONS, STAFF, TRANSITIONS,
                       applicable_transitions, apply, apply_qualification, apply_selection,
                       selection_ids, skipped_rows, store_selection, tone, waiting_state)

REFUSALS = (Refused, PhaseClosed)
#: Rows a confirmation page shows in detail, and skipped rows a result page lists.
CONFIRM_SHOWN, RESULT_SHOWN = 100, 200


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
    """List view whose actions run the transitions of ``transitions`` through ``apply_fn``.

    An action on “the N selected” (the 操作 menu) or on “all M matching this filter” (the
    list's buttons) stores a selection — its rows and the version of each — and leads to its
    confirmation page by the selection's number: no URL carries the rows. Confirming applies
    the step to the stored rows (a background job above ``REVIEW_BULK_INLINE_MAX`` rows)."""

    transitions = TRANSITIONS
    apply_fn = staticmethod(apply)
    #: whether the list offers “all matching this filter” (the candidates' review list)
    select_all = False
    page_size = 50

    @expose("/confirm/<name>", methods=["GET", "POST"])
    @has_access
    def confirm(self, name):
        transition = self.transitions.get(name)
        if transition is None or name == "confirm":
            return redirect(url_for(".list"))
        if request.method == "POST":
            if request.form.get("scope") == "all":
                return self._select_all(transition)
            return self._apply(transition, self._posted_selection(transition))
        if request.args.get("selection"):
            selection = self._own_selection(request.args["selection"], transition)
            items = scoped_items(self.datamodel.obj, selection_ids(selection, CONFIRM_SHOWN))
            return self._confirmation(transition, items, selection)
        # The record's own page links one record here.
        return self._confirmation(transition, scoped_items(
            self.datamodel.obj, request.args.get("ids", "").split(",")[:CONFIRM_SHOWN]))

    def _confirmation(self, transition, items, selection=None):
        """The confirmation page: the count, the first CONFIRM_SHOWN rows in detail and what
        the step asks (reason, sign-off). Without a stored selection the page carries each
        row's version (``v_<id>``)."""
        return self.render_template(
            "review/confirm.html", transition=transition, items=items, selection=selection,
            count=selection.selected if selection else len(items),
            ids=",".join(str(i.id) for i in items), tone=tone(transition),
            rows=self.confirm_rows(items),
            # Said before the reviewer fills in the page (a sent page is refused row by row
            # by the workflow all the same).
            not_yours=transition not in offered(self.transitions, g.user),
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
        # The list's “all matching” buttons: the same steps, on the filter's every row.
        g.ks_bulk_steps = [(t, ICONS[tone(t)]) for t in offered(self.transitions, g.user)
                           if t.action != "confirm"]
        return widgets

    def store_selection(self, transition, rows):
        """A new selection of ``rows`` (see workflow.store_selection) for ``transition``,
        owned by the user; committed."""
        selection = store_selection(ReviewSelection(
            subject=self.subject(), action=transition.action, user_id=g.user.id,
            node_path=g.user.node.path), rows)
        db.session.commit()
        return selection

    def _select_all(self, transition):
        """“All M matching this filter”: the list's filters (posted as the list had them)
        re-applied inside the user's subtree, stored with one INSERT … SELECT."""
        if not self.select_all:
            abort(404)
        request.args = ImmutableMultiDict(
            [(k, v) for k, v in request.form.items(multi=True) if k.startswith("_flt_")])
        query = filtered_query(self)
        selection = self.store_selection(transition, query.with_entities(
            Candidate.id, Candidate.version).order_by(None).statement)
        return redirect(url_for(".confirm", name=transition.action, selection=selection.id))

    def subject(self):
        """What a selection of this list names its rows by: their table."""
        return self.datamodel.obj.__tablename__

    def _own_selection(self, pk, transition):
        """The user's own selection for ``transition`` not applied yet, or 404."""
        selection = get_scoped_or_404(ReviewSelection, pk)
        if selection.user_id != g.user.id or selection.action != transition.action \
                or selection.subject != self.subject() or selection.status != NEW:
            abort(404)
        return selection

    def _posted_selection(self, transition):
        """The selection a confirmation page posts: a stored one (``selection``), or the
        rows and versions the page carried (``ids`` and ``v_<id>``) stored now."""
        if request.form.get("selection"):
            return self._own_selection(request.form["selection"], transition)
        items = scoped_items(self.datamodel.obj, request.form.get("ids", "").split(","))
        return self.store_selection(transition, [
            (item.id, request.form.get(f"v_{item.id}") or None) for item in items])

    def _apply(self, transition, selection):
        """Apply the confirmed selection: inside the request up to REVIEW_BULK_INLINE_MAX
        rows (then the result page), else as a job (then its progress page)."""
        selection.reason = request.form.get("reason")
        selection.principal_name = request.form.get("principal_name")
        selection.signed_on = _parse_date(request.form.get("signed_on"))
        selection.queue()
        db.session.commit()
        # Large selections of the tables a job knows (BULK_SUBJECTS) go to the background.
        if selection.selected > current_app.config["REVIEW_BULK_INLINE_MAX"] \
                and selection.subject in BULK_SUBJECTS:
            selection_id = selection.start_job(run_bulk_review, timeout=REVIEW_TIMEOUT,
                                               description="bulk review")
            return redirect(url_for(".selection", pk=selection_id))
        selection.start()
        apply_selection(selection.id, g.user, self.datamodel.obj, self.apply_fn)
        selection.finish()
        db.session.commit()
        return self._result(selection)

    def _result(self, selection):
        """The result page: how many were done and the first rows skipped, with why."""
        skipped = skipped_rows(selection, RESULT_SHOWN)
        names = {item.id: item.name for item in scoped_items(
            self.datamodel.obj, [row_id for row_id, _reason in skipped])}
        return self.render_template(
            "review/result.html", transition=self.transitions[selection.action],
            selection=selection, done=selection.applied, skipped_count=selection.skipped,
            skipped=[(names.get(row_id, f"#{row_id}"), reason) for row_id, reason in skipped])

    @expose("/selection/<int:pk>")
    @has_access
    @permission_name("confirm")
    def selection(self, pk):
        """A bulk review run as a job: its progress, then its result."""
        selection = get_scoped_or_404(ReviewSelection, pk)
        if selection.subject != self.subject() or selection.status == NEW:
            abort(404)
        if selection.status == DONE:
            return self._result(selection)
        return self.render_template("review/progress.html", selection=selection,
                                    transition=self.transitions[selection.action])

    @expose("/selection/<int:pk>/status")
    @has_access
    @permission_name("confirm")
    def selection_status(self, pk):
        selection = get_scoped_or_404(ReviewSelection, pk)
        if selection.subject != self.subject():
            abort(404)
        return jsonify(selection.status_json(url_for(".selection", pk=pk)))

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


class PhotoProblemFilter(BaseFilter):
    """Candidates whose current photo has the chosen problem (a rule it fails or warns on,
    none at all, not checked yet), from the results kept when the photo was stored."""

    name = _l("Equal to")
    arg_name = "eq"

    def apply(self, query, value):
        return query.filter(photo_problem_condition(value))


class ReviewFilterConverter(CodedFilterConverter):
    conversion_table = ((("is_photo_problem", [PhotoProblemFilter]),)
                        + CodedFilterConverter.conversion_table)


class ReviewInterface(CodedInterface):
    """Candidates for review: coded columns and the ``photo_problem`` search, which is no
    column but a condition on the kept photo results."""

    filter_converter_class = ReviewFilterConverter

    def is_photo_problem(self, col_name):
        return col_name == "photo_problem"

    def get_filters(self, search_columns=None, search_filters=None):
        filters = super().get_filters(search_columns, search_filters)
        # FAB takes a filter from the URL only for a model column (its ``_all_filters``).
        problem = filters.get_search_filters().get("photo_problem")
        if problem:
            filters._all_filters["photo_problem"] = problem
        return filters


class ReviewView(TransitionListView):
    route_base = "/review"
    datamodel = ReviewInterface(Candidate, coded=("state",))
    select_all = True
    large_list = True  # counted from the progress counters or up to a cap (app/list_counts.py)
    list_title = show_title = _l("Review")
    list_template, show_template = "review/list.html", "review/show.html"
    list_columns = ["name", "id_display", "node", "category_label", "state_label", "locked",
                    "reject_reason"]
    # Every field, as on the candidate's own page: a reviewer does not approve blind.
    show_fieldsets = CandidateView.show_fieldsets
    formatters_columns = CandidateView.formatters_columns
    search_columns = ["state", "exam", "node", "name", "locked", "photo_problem"]
    choice_filters = {"state": (_l("Review state"), STATE_LABELS),
                      "photo_problem": (_l("Photo problem"), problem_choices())}
    base_order = ("id", "asc")
    page_size = 50
    label_columns = {**LABELS, "id_display": _l("ID number"), "node": _l("School / point"),
                     "category_label": _l("Candidate category"), "state_label": _l("Review state"),
                     "state": _l("Review state"), "locked": _l("Locked"),
                     "reject_reason": _l("Rejection reason"), "printed_at": _l("Printed at"),
                     "signed_at": _l("Signed at"), "exam": _l("Exam"), "name": _l("Full name"),
                     "photo_problem": _l("Photo problem")}

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
        # The selection is stored with each row's version now; the URL names only it.
        items = items if isinstance(items, list) else [items]
        selection = self.store_selection(transition, [(i.id, i.version) for i in items])
        return redirect(url_for(".confirm", name=transition.action, selection=selection.id))

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
    datamodel = search_by_candidate(CodedInterface(Qualification, coded=("state", "kind")))
    list_title, show_title = _l("Qualification applications"), _l("Qualification application")
    add_title, edit_title = _l("File a qualification application"), _l("Edit qualification application")
    transitions = QUALIFICATION_TRANSITIONS
    apply_fn = staticmethod(apply_qualification)
    extra_permissions = ("can_add",)
    list_columns = ["candidate", "kind_label", "state_label", "reject_reason", "created_on"]
    show_columns = ["candidate", "kind_label", "note", "state_label", "reject_reason"]
    add_columns = ["candidate", "kind", "note"]
    search_columns = ["state", "kind", "candidate_id"]
    choice_filters = {"state": (_l("Review state"), QUALIFICATION_STATES),
                      "kind": (_l("Qualification"), QUALIFICATION_KINDS)}
    base_order = ("id", "desc")
    label_columns = {"candidate": _l("Candidate"), "kind": _l("Qualification"),
                     "kind_label": _l("Qualification"), "state": _l("Review state"),
                     "state_label": _l("Review state"), "reject_reason": _l("Rejection reason"),
                     "note": _l("Note"), "created_on": _l("Filed at"),
                     "candidate_id": _l("Candidate")}
    add_form_extra_fields = {"kind": SelectField(_l("Qualification"), validators=[DataRequired()],
                                                 choices=list(QUALIFICATION_KINDS.items())),
                             "candidate": CandidatePickerField()}

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
